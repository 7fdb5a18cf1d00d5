"""The gateways' browser scripts, as the sandbox's drop-ins [SANDBOX].

Each file under `static/` stands in for a script the real gateway serves, with the
same JavaScript API, talking to the sandbox instead:

- `/__sandbox/cloudpayments/checkout.js` stands in for CloudPayments' checkout
  script, https://widget.cloudpayments.ru/bundles/checkout;
- `/__sandbox/stripe/v3.js` for Stripe.js, https://js.stripe.com/v3/;
- `/__sandbox/stripe/elements/card` (and its `.js`) for Stripe.js's card element
  iframe.

They are plain files served as they are: no build step, no CDN.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).resolve().parent / "static"

SCRIPTS: dict[str, tuple[str, str]] = {
    "/__sandbox/cloudpayments/checkout.js": (
        "cloudpayments/checkout.js",
        "text/javascript",
    ),
    "/__sandbox/stripe/v3.js": ("stripe/v3.js", "text/javascript"),
    "/__sandbox/stripe/elements/card": ("stripe/card.html", "text/html"),
    "/__sandbox/stripe/elements/card.js": ("stripe/card.js", "text/javascript"),
}


def routes() -> list[web.RouteDef]:
    return [web.get(path, _serve) for path in SCRIPTS]


async def _serve(request: web.Request) -> web.Response:
    name, content_type = SCRIPTS[request.path]
    return web.Response(
        body=(STATIC / name).read_bytes(),
        content_type=content_type,
        charset="utf-8",
        # Scripts change with the sandbox's code; a stale copy would talk an old API.
        headers={"Cache-Control": "no-cache"},
    )
