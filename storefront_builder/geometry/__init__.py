"""Procedural geometry for stores: meshes, fixtures, placeholders, signage, atlases, merchant models."""
