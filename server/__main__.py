"""``python -m server`` is the ``vrstore`` command."""

from server.cli import main

main()
