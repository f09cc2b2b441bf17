"""Live rooms of a store: shoppers see each other move, look and shop together.

Everything here except :mod:`server.realtime.bus` (and the aiohttp glue in ``ws.py``) is sans-I/O: state
machines that take inputs with an explicit ``now`` and return :class:`~server.realtime.actions.Action` lists
for the I/O layer to carry out.

- :mod:`~server.realtime.protocol` – JSON message models, the declarative message table, close codes, errors.
- :mod:`~server.realtime.poses` – the binary pose frame (client → server) and tick frame (server → client).
- :mod:`~server.realtime.interest` – vectorised K-nearest interest management.
- :mod:`~server.realtime.ratelimit` – token buckets.
- :mod:`~server.realtime.room` – one instance of a store's live room.
- :mod:`~server.realtime.hub` – all instances of all stores: placement, caps, store/cart fan-out.
- :mod:`~server.realtime.bus` – publish/subscribe between server processes (in-process by default).
"""
