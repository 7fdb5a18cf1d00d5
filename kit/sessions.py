"""The session engine: Django's database sessions, minding the cookie it is given."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

_KEY_CHARS = frozenset(VALID_KEY_CHARS)


class SessionStore(DatabaseSessionStore):
    """Database sessions whose key, as read from the cookie, is one Django could have
    made (lowercase letters and digits); any other is no session.

    Django looks up whatever the cookie holds, and PostgreSQL refuses a NUL byte in
    a query: a forged cookie would otherwise be a 500 on every page.
    """

    def _validate_session_key(self, key: Any) -> bool:
        # Django's own rule (a key of at least 8 characters), and Django's alphabet.
        return isinstance(key, str) and len(key) >= 8 and _KEY_CHARS.issuperset(key)
