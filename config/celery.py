"""The Celery application; its configuration lives in `config/settings/celery.py`."""

from __future__ import annotations

import logging.config
from typing import Any

from celery import Celery
from celery.app import backends
from celery.backends.base import Backend
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun

from config.celery_results import redacting
from config.env import choose_settings_module
from config.task_request_ids import (
    add_request_id_header,
    bind_task_request_id,
    unbind_task_request_id,
)

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

# The request id from the sender's work to the worker's (`config.task_request_ids`).
before_task_publish.connect(add_request_id_header)
task_prerun.connect(bind_task_request_id)
task_postrun.connect(unbind_task_request_id)


@setup_logging.connect
def _log_as_configured(**kwargs: Any) -> None:
    """Log as the settings' LOGGING says, with its redaction, in workers and beat.

    Connecting this signal keeps Celery from setting up logging of its own: its
    handlers (on the root logger, and on `celery.task` without propagation) would
    print task failures, their arguments and tracebacks unmasked.
    """
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
