"""Which asyncio event loop the server (and the load generator) runs on.

uvloop (libuv, Cython) handles a socket read or write in about three quarters of the CPU time of the
standard selector loop; at 20,000 small live frames a second each way that is most of a core's headroom.
It is the default where it is installed (Linux, macOS); ``VRSTORE_EVENT_LOOP=asyncio`` opts out, e.g. to
profile with tools that only understand the standard loop.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable
from typing import Literal

LoopKind = Literal["auto", "uvloop", "asyncio"]


def loop_factory(kind: LoopKind = "auto") -> Callable[[], asyncio.AbstractEventLoop]:
    """A function that makes a new event loop of the chosen kind (``auto``: uvloop when installed)."""
    if kind == "asyncio" or (kind == "auto" and importlib.util.find_spec("uvloop") is None):
        return asyncio.new_event_loop
    import uvloop  # an explicit "uvloop" without it installed fails loudly here

    return uvloop.new_event_loop
