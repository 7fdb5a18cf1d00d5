"""A gateway SDK transport that breaks and tells all, and what it tells.

`install()` replaces the HTTP transport under the gateways' SDKs (`requests`'
adapter) with one that raises `GatewayConnectionLost`, an error none of the
service's code anticipates, whose message echoes what a careless library would:
the request's credentials and body and the gateway's answer so far, with a card
token in it. The service's own code runs unchanged: what it logs and reports of
the error is what the scrubbing tests read. Sentry's transport is urllib3's, not
requests', so reports still leave.

Run as `python -m tests.config.broken_gateway <celery arguments>` it starts a
Celery worker with the broken transport installed.
"""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

import requests
from requests.adapters import HTTPAdapter

PUBLIC_ID = "pk_2f8a0c1e9b7d4a6c"
API_SECRET = "cp-api-secret-5b1d7e93a04f"
# The shape GATEWAYS.md A6 gives a real cryptogram: "01", BIN, last four, expiry,
# key version, then the RSA-encrypted card in base64.
CRYPTOGRAM = (
    "01424242424242260102kMZ4wq8+T3nA7cVbX9yLr2pQ/fE6hJ1uG5sW0iO8dK3aN7mB4vC2xZ9e"
    "Rt6Yq1Uw3Io5Pa8Sd0Fg2Hj4Kl6Zx8Cv1Bn3Mq5We7Rt9Yu2Io4Pa6Sd8Fg0Hj2Kl4Zx6Cv8Bn0Mq"
    "Lk5Jh7Gf9Ds1Aq3Sw5De7Fr9Gt1Hy3Ju5Ki7Lo9Pz1Xa3Sc5Dv7Fb9Gn1Hm3Jq5Kw7Le9Rt1Yu+=="
)
TOKEN = "tk_8c3e5a7f1b9d2e4c6a8f0b1d3e5"
BASIC_CREDENTIALS = base64.b64encode(f"{PUBLIC_ID}:{API_SECRET}".encode()).decode()


class GatewayConnectionLost(Exception):
    """The connection broke after the gateway had begun to answer."""


def broken_send(
    adapter: HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any
) -> Any:
    body = request.body or b""
    sent = json.loads(body) if body else {}
    answer = {"Success": True, "Model": {"TransactionId": 504, "Token": TOKEN}}
    raise GatewayConnectionLost(
        f"connection lost reading the answer to {request.method} {request.url} "
        f"(Authorization: {request.headers.get('Authorization')}; body {body!r}); "
        f"values sent: {' '.join(str(value) for value in sent.values())}; "
        f"answer so far: {json.dumps(answer)}, token {TOKEN}"
    )


def install() -> None:
    HTTPAdapter.send = broken_send  # type: ignore[assignment,method-assign]


if __name__ == "__main__":
    install()
    from celery.__main__ import main

    sys.argv = ["celery", *sys.argv[1:]]
    main()
