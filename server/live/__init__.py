"""server.live."""
