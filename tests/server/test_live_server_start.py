"""The tests' own server starter: a port taken between choosing it and binding it costs a retry, not a test."""

from __future__ import annotations

import socket
from pathlib import Path

import factories
import pytest


def test_a_port_taken_before_the_server_binds_it_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        real_free_port = factories.free_port
        ports = iter([taken])
        monkeypatch.setattr(factories, "free_port", lambda: next(ports, None) or real_free_port())
        server = factories.start_live_server(tmp_path)
        try:
            assert server.port != taken and server.process.poll() is None
        finally:
            factories.stop_live_server(server)
