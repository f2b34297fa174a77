"""The personal rows table: what the nightly loader writes and the rows API reads (docs/api.md, "Rows").

Standard library only, no AWS: item keys and attribute values in DynamoDB's low-level format.
Bundled into each function that names it in ``shared``.
"""
