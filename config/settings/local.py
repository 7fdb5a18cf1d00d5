"""Settings for `make run` and a developer's machine."""

from config.settings.base import *  # noqa: F403

DEBUG = True
ALLOWED_HOSTS = ["*"]
# The billing clock can be moved only outside production.
BILLING_TEST_CLOCK_ENABLED = True
