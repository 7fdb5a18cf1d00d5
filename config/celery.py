"""The Celery application; its configuration lives in `config/settings/celery.py`."""

from __future__ import annotations

import logging.config
import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("billing", task_cls="celery.contrib.django.task:DjangoTask")
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
