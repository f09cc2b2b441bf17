"""Thin REST handlers, one module per resource family; importing them registers their operations."""
