"""The load generator behind `vrstore loadtest`: synthetic shoppers walking a running server's store.

It is a tool, not part of the product package (the wheel does not carry it): `vrstore loadtest` imports it
from the checkout's `tools/` (see `server/cli.py`), and `bench/` uses it directly.
"""
