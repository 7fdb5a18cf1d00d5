"""The WSGI entry point: the site, with gateway webhooks on a lean handler of their own.

Gateways send notifications by the thousand and carry no cookie, session or user;
their views are exempt from CSRF. Requests under `/webhooks/` therefore skip the
session, CSRF, authentication and messages middleware, and go through the rest of
`MIDDLEWARE` (security headers, host validation, Content-Length, frame options), to
the same URLs, views and error pages as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.utils.module_loading import import_string

from config.env import choose_settings_module

choose_settings_module()

WEBHOOKS_PATH: Final = "/webhooks/"
# Middleware for browsers and staff: nothing a gateway's notification uses.
NOT_FOR_WEBHOOKS: Final = frozenset(
    {
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    }
)

StartResponse = Callable[..., Any]


class WebhookHandler(WSGIHandler):
    """Django's WSGI handler with `MIDDLEWARE` less `NOT_FOR_WEBHOOKS`."""

    def load_middleware(self, is_async: bool = False) -> None:
        """Build the chain as `BaseHandler.load_middleware` does, sync only."""
        if is_async:
            raise ImproperlyConfigured("The webhook handler serves WSGI only.")
        # The attributes BaseHandler fills (django-stubs leaves them out).
        self._view_middleware: list[Callable[..., Any]] = []
        self._template_response_middleware: list[Callable[..., Any]] = []
        self._exception_middleware: list[Callable[..., Any]] = []
        handler = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for path in reversed(webhook_middleware()):
            factory = import_string(path)
            if not getattr(factory, "sync_capable", True):
                raise ImproperlyConfigured(f"{path} cannot serve WSGI requests.")
            try:
                middleware = factory(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_template_response"):
                self._template_response_middleware.append(
                    middleware.process_template_response
                )
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler


def webhook_middleware() -> list[str]:
    """The middleware that webhook requests pass through, in order."""
    return [path for path in settings.MIDDLEWARE if path not in NOT_FOR_WEBHOOKS]


site = get_wsgi_application()
webhooks = WebhookHandler()


def application(
    environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    """Send `/webhooks/…` to the lean handler and everything else to the site."""
    handler = (
        webhooks if environ.get("PATH_INFO", "").startswith(WEBHOOKS_PATH) else site
    )
    return handler(environ, start_response)
