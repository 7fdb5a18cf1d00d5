"""Test settings for the processes a test starts and reads the log lines of.

Every process logs at INFO. With TEST_CELERY_QUEUE, the processes a test runs
around a real Celery worker (web, gRPC) send their tasks over the broker
(CELERY_BROKER_URL) to that worker's private queue, instead of running them
eagerly: a queue of the test's own keeps the messages from any other worker on
the same broker.
"""

import os

from config.settings.test import *  # noqa: F403

LOGGING["root"]["level"] = "INFO"  # noqa: F405
if os.environ.get("TEST_CELERY_QUEUE"):
    CELERY_TASK_ALWAYS_EAGER = False
    CELERY_TASK_ROUTES = {"*": {"queue": os.environ["TEST_CELERY_QUEUE"]}}
