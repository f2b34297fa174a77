"""Who may watch which title: the one decision the issuer and the catalog API share (and the key service will).

Standard library only, no AWS: a catalog item and a viewer in, ``None`` (entitled) or a documented reason
out (docs/api.md, "Entitlement"). Bundled into each function that names it in ``shared``.
"""
