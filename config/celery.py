"""The Celery application; its configuration lives in `config/settings/celery.py`."""

from __future__ import annotations

from celery import Celery

from config.env import choose_settings_module

choose_settings_module()

app = Celery("billing", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
