"""Wiring only: settings, the environment, the Celery app, URLs and entry points."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
