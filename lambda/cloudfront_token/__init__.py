"""CloudFront signing and policy building shared by the playback functions.

``policy`` is pure standard library (the manifest rewriter uses only it);
``signer`` adds ``cryptography`` for the RSA work (the signed-URL issuer).
"""
