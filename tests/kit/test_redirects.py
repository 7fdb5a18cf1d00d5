"""Only absolute http(s) URLs on allowed hosts are places to send a payer back to."""

from __future__ import annotations

import pytest

from kit.redirects import is_allowed_redirect

ALLOWED = ["shop.example", ".cinema.example"]


class TestIsAllowedRedirect:
    @pytest.mark.parametrize(
        "url",
        [
            "https://shop.example/thanks?order=42",
            "http://shop.example:8080/sorry",
            "https://cinema.example/welcome",
            "https://www.cinema.example/welcome",
            "https://SHOP.example/case",
        ],
    )
    def test_accepts_http_urls_on_an_allowed_host(self, url: str) -> None:
        assert is_allowed_redirect(url, ALLOWED)

    @pytest.mark.parametrize(
        "url",
        [
            "https://evil.test/phish",
            "https://shop.example.evil.test/",
            "https://notshop.example/",
            "javascript:alert(1)",
            "JavaScript://shop.example/%0aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "ftp://shop.example/file",
            "//evil.test/phish",
            "//shop.example/scheme-relative",
            "/relative/path",
            "https://shop.example@evil.test/",
            "https://user:pass@shop.example/",
            "https://evil.test\\@shop.example/",
            "https:\\\\evil.test/",
            "https://shop.example\x00.evil.test/",
            "https://[::1/",
            "",
        ],
    )
    def test_refuses_everything_else(self, url: str) -> None:
        assert not is_allowed_redirect(url, ALLOWED)
