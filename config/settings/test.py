"""Settings for the test suite."""

from config.settings.base import *  # noqa: F403

# The gateway sandbox (its `gateway_sandbox` command) is a development tool: the
# production settings and image leave it out.
INSTALLED_APPS = [*INSTALLED_APPS, "gateway_sandbox"]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Eager tasks run when published: there is no pending drain to wait for.
WEBHOOK_DRAIN_DELAY_SECONDS = 0.0
BILLING_TEST_CLOCK_ENABLED = True
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
