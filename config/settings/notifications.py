"""E-mail to payers and the directory that says where to send it (billing.directory)."""

from __future__ import annotations

from config import env as environment

# SMTP when a host is named (production requires one); else every mail is printed
# on the worker's console.
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if environment.EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = environment.EMAIL_HOST or "localhost"
EMAIL_PORT = environment.EMAIL_PORT
EMAIL_HOST_USER = environment.EMAIL_HOST_USER
EMAIL_HOST_PASSWORD = environment.EMAIL_HOST_PASSWORD
EMAIL_USE_TLS = environment.EMAIL_USE_TLS
# A mail server that stops answering fails the send, and the task retries it later.
EMAIL_TIMEOUT = environment.EMAIL_TIMEOUT_SECONDS
DEFAULT_FROM_EMAIL = environment.DEFAULT_FROM_EMAIL

# Where billing asks for a payer's e-mail, name and locale (a dotted path to a
# `billing.directory.PayerDirectory` class built with no arguments).
BILLING_PAYER_DIRECTORY = "grpc_api.payer_directory.AuthServiceDirectory"
AUTH_GRPC_TARGET = environment.AUTH_GRPC_TARGET
AUTH_GRPC_TOKEN = environment.AUTH_GRPC_TOKEN
AUTH_GRPC_TIMEOUT_SECONDS = environment.AUTH_GRPC_TIMEOUT_SECONDS
