"""The Celery application; its configuration lives in `config/settings/celery.py`."""

from __future__ import annotations

import logging.config
from typing import Any

from celery import Celery
from celery.app import backends
from celery.backends.base import Backend
from celery.signals import setup_logging

from config.celery_results import redacting
from config.env import choose_settings_module

choose_settings_module()


class BillingCelery(Celery):
    def _get_backend(self) -> Backend:
        """The configured result backend, storing failures masked (Celery's own
        hook for building it, as in `Celery._get_backend`)."""
        # celery-types says a class; Celery returns the class and the URL.
        found: Any = backends.by_url(
            self.backend_cls or self.conf.result_backend, self.loader
        )
        backend_class, url = found
        return redacting(backend_class)(app=self, url=url)


app = BillingCelery("billing", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _log_as_configured(**kwargs: Any) -> None:
    """Log as the settings' LOGGING says, with its redaction, in workers and beat.

    Connecting this signal keeps Celery from setting up logging of its own: its
    handlers (on the root logger, and on `celery.task` without propagation) would
    print task failures, their arguments and tracebacks unmasked.
    """
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
