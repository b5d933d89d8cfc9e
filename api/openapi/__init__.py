"""The API's own description: the OpenAPI document (document.py), its examples, and the docs page at /schema."""
