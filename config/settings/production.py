"""Production: everything from the environment; insecure defaults are refused."""

from django.core.exceptions import ImproperlyConfigured

from config import env as environment
from config.settings.base import *  # noqa: F403

DEBUG = False
BILLING_TEST_CLOCK_ENABLED = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

_REQUIRED = ("DJANGO_SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "JWT_SIGNING_KEY")
_missing = [name for name in _REQUIRED if name not in environment.env.ENVIRON]
if _missing:
    raise ImproperlyConfigured(
        f"production needs these environment variables: {', '.join(_missing)}"
    )
