"""server.live.cluster."""
