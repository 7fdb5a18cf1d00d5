"""Settings for `make run` and a developer's machine."""

from config.settings.base import *  # noqa: F403

DEBUG = True
# The gateway sandbox (its `gateway_sandbox` command) is a development tool: the
# production settings and image leave it out.
INSTALLED_APPS = [*INSTALLED_APPS, "gateway_sandbox"]  # noqa: F405
ALLOWED_HOSTS = ["*"]
# The billing clock can be moved only outside production.
BILLING_TEST_CLOCK_ENABLED = True
# Hand-made CloudPayments notifications may carry only the decoded-body signature.
CLOUDPAYMENTS_ACCEPT_X_CONTENT_HMAC = True
