"""A failed task's result is stored with its message and traceback masked."""

from __future__ import annotations

import uuid

import pytest
from celery.app.task import Context
from django_celery_results.models import TaskResult

from config.celery import app

pytestmark = pytest.mark.django_db

TOKEN = "tk_8c3e5a7f1b9d2e4c6a8f0b1d3e5"


class TestStoredTaskFailure:
    def test_keeps_the_error_and_masks_what_it_echoed(self) -> None:
        """django-celery-results keeps the exception and traceback in a table."""
        task_id = str(uuid.uuid4())
        error = RuntimeError(f"gateway echoed the token {TOKEN}")
        traceback = f"Traceback (most recent call last):\nRuntimeError: {TOKEN}"

        request = Context(id=task_id, task="payments.settle_unknown_payments")

        app.backend.mark_as_failure(task_id, error, traceback, request)

        stored = TaskResult.objects.get(task_id=task_id)
        assert stored.status == "FAILURE"
        assert "RuntimeError" in stored.result and "Traceback" in stored.traceback
        assert TOKEN not in stored.result + stored.traceback
