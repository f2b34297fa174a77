"""The content-keys table's contract, shared by the ingest workflow (which writes a title's keys) and the
key service (which releases them): a key's size, each row's ``scheme`` and the licence endpoint's name."""

from __future__ import annotations

KEY_BYTES = 16  # an AES-128 key, and a key ID
HLS_SCHEME, CENC_SCHEME = "aes-128", "cenc"  # a row's scheme: which endpoint may release it (none: an HLS key)
CLEARKEY = "clearkey"  # the Clear Key licence's last path segment, keys/clearkey (a key ID is 32 hex digits)
