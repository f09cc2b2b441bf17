"""Persistence: ORM tables, the engine factory and migrations."""
