"""Business rules as plain functions and values: no I/O, no HTTP, no SQL (import-linter keeps it so).

Services and the live edge call these; each rule exists once, here.
"""
