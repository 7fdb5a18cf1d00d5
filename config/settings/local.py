"""Settings for `make run` and a developer's machine."""

from config.settings.base import *  # noqa: F403

DEBUG = True
# The gateway sandbox (its `gateway_sandbox` command) is a development tool: the
# production settings and image leave it out.
INSTALLED_APPS = [*INSTALLED_APPS, "gateway_sandbox"]  # noqa: F405
# With the sandbox the checkout takes its `sbx1:` cryptograms (docs/payments.md).
CHECKOUT_SANDBOX_PAYLOADS = True
ALLOWED_HOSTS = ["*"]
# The billing clock can be moved only outside production.
BILLING_TEST_CLOCK_ENABLED = True
# Hand-made CloudPayments notifications may carry only the decoded-body signature.
CLOUDPAYMENTS_ACCEPT_X_CONTENT_HMAC = True
