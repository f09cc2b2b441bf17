"""vrstore server: aiohttp app, REST API, persistence and realtime."""

__version__ = "0.1.0"
