"""server.live.core."""
