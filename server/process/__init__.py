"""How the server runs as processes: one process (``single``), N supervised workers on one port
(``supervisor``), and which event loop each uses (``eventloop``)."""
