"""`/api/docs/`: Swagger UI from the service's own static files, never a CDN."""

from __future__ import annotations

import re

import pytest
from django.test import Client

# The addresses a page loads: its scripts, styles and icons.
_LOADED = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


@pytest.mark.django_db
class TestTheApiDocsPage:
    def test_loads_every_script_and_style_from_the_service_itself(
        self, client: Client
    ) -> None:
        """A machine without the internet (and a strict network policy) still
        shows the docs: nothing is fetched from another origin."""
        page = client.get("/api/docs/")
        loaded = _LOADED.findall(page.content.decode())

        assert page.status_code == 200
        assert any(address.endswith("swagger-ui-bundle.js") for address in loaded)
        assert [address for address in loaded if not address.startswith("/")] == []
        assert [a for a in loaded if client.get(a).status_code != 200] == []
