"""The catalog API: ``GET /catalog`` and ``GET /catalog/{titleId}`` (docs/api.md, "The catalog API")."""
