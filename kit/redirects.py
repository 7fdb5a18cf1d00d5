"""Where a payer may be sent back to: absolute http(s) URLs on allowed hosts only.

An open redirect on a payment page lends the service's name to a phishing page, so
the hosts come from settings and everything else is refused: other schemes
(`javascript:`, `data:`), scheme-relative `//host`, credentials before the host
(`https://allowed@evil`) and the backslash and control-character tricks that
browsers read differently from Python's URL parser.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence

from django.http.request import validate_host
from django.utils.http import url_has_allowed_host_and_scheme


def is_allowed_redirect(url: str, allowed_hosts: Sequence[str]) -> bool:
    """Whether `url` is an absolute http(s) URL on one of `allowed_hosts`.

    Hosts follow Django's ALLOWED_HOSTS patterns: `shop.example`, `.shop.example`
    for it and its subdomains; any port is allowed.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not hostname:
        return False
    if parts.username is not None or parts.password is not None:
        return False
    if not validate_host(hostname, list(allowed_hosts)):
        return False
    # Django's own check refuses what browsers would read as another host.
    return url_has_allowed_host_and_scheme(url, allowed_hosts={parts.netloc})
