"""REST API: the operation registry, request decoding, problem responses and OpenAPI."""
