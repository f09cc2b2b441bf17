"""Services: the one place each business rule lives. Handlers decode, call a service, encode."""
