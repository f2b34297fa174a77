"""Small runtime pieces every Showrunner function shares: JSON responses and S3 error codes.

Bundled into each function that names it in ``shared`` (stacks/bundling.py), like
``cloudfront_token``. Standard library only, so importing it costs a cold start nothing.
"""
