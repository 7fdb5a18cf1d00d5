"""Lock-out after repeated failed sign-ins, per account name and client address.

After `LOGIN_LOCKOUT_FAILURES` failures in a row for one username from one address,
that pair is refused for `LOGIN_LOCKOUT_COOLOFF_SECONDS`, even with the right
password; a success clears the count. Keying on both keeps an attacker from locking
a staff member out from everywhere, and a shared office address from locking out
everyone. The counts live in the cache (shared by every web process with Redis).

Every sign-in that calls `authenticate()` with the request is covered by
`LockoutBackend`, Django's model backend with the lock-out in front, the one entry
of `AUTHENTICATION_BACKENDS`: the admin's and the browsable API's forms alike.
Passwords are never logged.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone

from kit.api.throttling import client_ip

logger = logging.getLogger(__name__)


class _Failures(TypedDict):
    count: int
    # POSIX time until which the pair is refused, or 0.
    locked_until: float


def _key(username: str, address: str) -> str:
    # Hashed: cache keys must be short and free of spaces, and the name of an
    # account is nobody's business in a cache dump.
    pair = f"{username.strip().lower()}|{address}".encode()
    return "accounts:login-failures:" + hashlib.sha256(pair).hexdigest()


def _now() -> float:
    return timezone.now().timestamp()


def locked_for(username: str, address: str) -> float:
    """Seconds until `username` may sign in from `address` again (0: now)."""
    failures: _Failures | None = cache.get(_key(username, address))
    if failures is None:
        return 0.0
    return max(0.0, failures["locked_until"] - _now())


def record_failure(username: str, address: str) -> None:
    """Count a failed sign-in; lock the pair out once the limit is reached.

    Attempts while locked out do not extend the lock: it ends one cool-off after
    it began.
    """
    if locked_for(username, address):
        return
    key = _key(username, address)
    cooloff = int(settings.LOGIN_LOCKOUT_COOLOFF_SECONDS)
    stored = cache.get(key)
    failures = _Failures(
        count=int(stored["count"]) + 1 if stored else 1,
        locked_until=0.0,
    )
    if failures["count"] >= int(settings.LOGIN_LOCKOUT_FAILURES):
        failures["locked_until"] = _now() + cooloff
        logger.warning(
            "accounts.login.locked_out",
            extra={
                "username": username,
                "client_ip": address,
                "failures": failures["count"],
                "cooloff_seconds": cooloff,
            },
        )
    cache.set(key, failures, timeout=cooloff)


def clear_failures(username: str, address: str) -> None:
    cache.delete(_key(username, address))


class LockoutBackend(ModelBackend):
    """Django's model backend that refuses a locked-out username and address
    before the password is checked.

    Raising PermissionDenied stops `authenticate()` at once: no other backend is
    asked, so the right password does not get through either.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        # simplejwt passes the name under the model's field (`email`).
        username = username or kwargs.get(get_user_model().USERNAME_FIELD)
        if request is not None and username:
            address = client_ip(request)
            if locked_for(username, address):
                logger.warning(
                    "accounts.login.refused_locked_out",
                    extra={"username": username, "client_ip": address},
                )
                raise PermissionDenied
        return super().authenticate(request, username, password, **kwargs)


def count_failed_login(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    """`user_login_failed` receiver: count the failure against name and address."""
    username = credentials.get("username") or credentials.get(
        get_user_model().USERNAME_FIELD
    )
    if request is None or not isinstance(username, str) or not username:
        return
    record_failure(username, client_ip(request))


def forget_failed_logins(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """`user_logged_in` receiver: a success starts the count afresh."""
    if request is None:
        return
    clear_failures(user.get_username(), client_ip(request))
