"""The site's own words for the API's refusals, and what it never does with a token."""

from __future__ import annotations

import re

from entitlement.rules import MESSAGES, REASONS

from stacks.origin_user_data import ASSETS

SITE = ASSETS / "site"


def test_the_catalog_page_words_every_refusal_as_the_api_does():
    block = re.search(r"const REASONS = \{(.*?)\};", (SITE / "player.js").read_text(), re.S)
    assert block is not None
    words = dict(re.findall(r'^\s*(\w+): "([^"]+)",$', block.group(1), re.M))
    assert words == MESSAGES
    assert list(words) == list(REASONS)


def test_tokens_go_only_in_the_authorization_header_and_session_storage():
    for page in ("auth.js", "player.js", "signin.js", "watch.js"):
        text = (SITE / page).read_text()
        assert "localStorage" not in text, page  # the library's default; sessionStorage ends with the tab
        assert "console." not in text, page  # nothing logged, tokens included
        assert not re.search(r"[?&](token|access_token|id_token)=", text), page
    assert "Storage: window.sessionStorage" in (SITE / "auth.js").read_text()
