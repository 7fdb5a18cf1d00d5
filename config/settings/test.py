"""Settings for the test suite."""

import os
import tempfile
from pathlib import Path

from config import env as environment
from config.settings.base import *  # noqa: F403

# The gateway sandbox (its `gateway_sandbox` command) is a development tool: the
# production settings and image leave it out.
INSTALLED_APPS = [*INSTALLED_APPS, "gateway_sandbox"]  # noqa: F405
# With the sandbox the checkout takes its `sbx1:` cryptograms (docs/payments.md).
CHECKOUT_SANDBOX_PAYLOADS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rates no test run reaches (a fuzzing run included); the throttling tests set
# their own.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        "anon": "10000/second",
        "user": "10000/second",
        "login": "10000/second",
    },
}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Eager tasks run when published: there is no pending drain to wait for.
WEBHOOK_DRAIN_DELAY_SECONDS = 0.0
BILLING_TEST_CLOCK_ENABLED = True
# The shops of the tests live under the reserved `.example` domain.
CHECKOUT_REDIRECT_ALLOWED_HOSTS = [".example", "localhost", "127.0.0.1", "testserver"]
# Mails land in `django.core.mail.outbox`; contacts come from the in-memory
# directory (tests/billing/notices.py), except where a test wires the gRPC client.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
BILLING_PAYER_DIRECTORY = "billing.directory.InMemoryPayerDirectory"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
if DATABASES["default"]["ENGINE"].endswith(".postgresql"):  # noqa: F405
    # Production's backend, emptied between transactional tests without TRUNCATE.
    DATABASES["default"]["ENGINE"] = "tests.backends.postgresql"  # noqa: F405
if DATABASES["default"]["ENGINE"].endswith(".sqlite3"):  # noqa: F405
    # A file, not memory: the renewal run's threads write through connections of
    # their own, and only a file-backed database is shared by writing connections.
    # One file per test process, so that two runs side by side do not collide.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"billing-test-{os.getpid()}.sqlite3")
    }
# Uploaded pictures go to a folder of this run, never under var/; a worker process
# that a test starts is given the test's folder (`MEDIA_ROOT`).
MEDIA_ROOT = Path(
    environment.MEDIA_ROOT
    or Path(tempfile.gettempdir()) / f"billing-test-media-{os.getpid()}"
)
