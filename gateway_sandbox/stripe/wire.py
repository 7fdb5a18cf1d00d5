"""How Stripe objects go on the wire: pretty JSON with Stripe's response headers."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

# The account's default API version, answered when a request names none (the SDK always
# names the version it is pinned to, which is echoed instead).
DEFAULT_API_VERSION = "2026-10-28.endive"

JsonObject = dict[str, Any]


def json_bytes(payload: object) -> bytes:
    # Stripe pretty-prints with two spaces; clients only parse it, people read it.
    return json.dumps(payload, indent=2).encode()


def json_reply(
    payload: object, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        body=json_bytes(payload),
        content_type="application/json",
        headers=headers,
    )
