"""server.contracts."""
