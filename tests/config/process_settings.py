"""Test settings for the processes a test runs around a real Celery worker.

Web and gRPC processes send their tasks over RabbitMQ (CELERY_BROKER_URL) to the
worker's private queue, named in TEST_CELERY_QUEUE, instead of running them
eagerly; every process logs at INFO, so that the test reads what the worker
logged of each task. A queue of the test's own keeps the messages from any
other worker on the same broker.
"""

import os

from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ROUTES = {"*": {"queue": os.environ["TEST_CELERY_QUEUE"]}}
LOGGING["root"]["level"] = "INFO"  # noqa: F405
