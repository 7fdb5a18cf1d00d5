"""Settings shared by every environment; `local`, `test`, `production` override."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ

from accounts.roles import MONEY_ROLES, STAFF_ROLES
from config import env as environment

BASE_DIR = environment.BASE_DIR
VAR_DIR = environment.VAR_DIR

SECRET_KEY = environment.DJANGO_SECRET_KEY
DEBUG = environment.DJANGO_DEBUG
# True only in production settings, which development tools (the gateway sandbox)
# refuse to run under.
IS_PRODUCTION = False
ALLOWED_HOSTS = environment.DJANGO_ALLOWED_HOSTS

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_celery_results",
    "django_prometheus",
    # Templates shared by every app's admin (`kit.admin.pages`).
    "kit",
    "accounts",
    "billing",
    "payments",
    "subscriptions",
    "grpc_api",
    "snacks",
    "config.apps.OperationsConfig",
]

MIDDLEWARE = [
    # First: everything below, and every task a request starts, has its id.
    "config.request_ids.RequestIdMiddleware",
    # Next, and last: the time between them is the whole request's, middleware
    # included (docs/operations.md#metrics).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Answers /static/ before the session is loaded (STATIC_URL, below).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-prometheus's families per view, fewer of them (`config.metrics`).
    "config.metrics.ViewMetricsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": environ.Env.db_url_config(environment.DATABASE_URL)}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database is shared by web, worker and beat processes: WAL lets
    # readers run beside the writer, and IMMEDIATE transactions queue writers
    # instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 60
# django-prometheus's subclasses of the same backends count statements, their
# duration and errors (`django_db_*`); a connection's `vendor` stays the same.
DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
    "django.db.backends.", "django_prometheus.db.backends.", 1
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Django's model backend with a lock-out in front: a locked-out account is refused
# before its password is checked (`accounts.lockouts`).
AUTHENTICATION_BACKENDS = ["accounts.lockouts.LockoutBackend"]
LOGIN_LOCKOUT_FAILURES = environment.LOGIN_LOCKOUT_FAILURES
LOGIN_LOCKOUT_COOLOFF_SECONDS = environment.LOGIN_LOCKOUT_COOLOFF_SECONDS
_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]
# Database sessions that refuse a forged cookie's key before looking it up.
SESSION_ENGINE = "kit.sessions"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# No STATIC_ROOT: WhiteNoise serves the apps' static folders where they are, so no
# process or image build runs collectstatic (a few dozen files, indexed once when a
# worker starts).
WHITENOISE_USE_FINDERS = True
# Uploads and generated files. Only snack pictures are served from here
# (config/urls.py); order invoices go out through the permission-checked API.
MEDIA_URL = "media/"
MEDIA_ROOT = Path(environment.MEDIA_ROOT or VAR_DIR / "media")

if environment.REDIS_URL:
    CACHES = {
        "default": {
            # Django's, keeping its Redis clients (`kit.cache`).
            "BACKEND": "kit.cache.RedisCache",
            "LOCATION": environment.REDIS_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "kit.api.authentication.TokenAuthentication",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "kit.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.exception_handler.handle_api_exception",
    "DEFAULT_THROTTLE_CLASSES": [
        "kit.api.throttling.AnonThrottle",
        "kit.api.throttling.UserThrottle",
    ],
    # `login` limits the sign-in forms (`accounts.sign_in`) and the token views
    # (`accounts.api.views`).
    "DEFAULT_THROTTLE_RATES": {
        "anon": environment.API_THROTTLE_ANON_RATE,
        "user": environment.API_THROTTLE_USER_RATE,
        "login": environment.API_THROTTLE_LOGIN_RATE,
    },
    "NUM_PROXIES": environment.API_NUM_PROXIES,
}

# The groups whose staff may use the support API (`kit.api.permissions`).
API_STAFF_ROLES = STAFF_ROLES
# The groups whose staff may also move money: refund, or charge other than a retry of
# a past-due renewal (`kit.api.permissions.MovesMoney`, `MovesMoneyBooleanField`).
API_MONEY_ROLES = MONEY_ROLES

SPECTACULAR_SETTINGS = {
    "TITLE": "Billing service API",
    "DESCRIPTION": "Support and service API of the billing service.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The API docs' scripts and styles from our own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for a choice of the shop wherever its API uses it.
    "ENUM_NAME_OVERRIDES": {
        "ReactionKindEnum": "snacks.models.ReactionKind",
        "OrderStatusEnum": "snacks.models.OrderStatus",
    },
}

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {
            "()": "config.logs.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s",
        },
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "filters": {
        "request_id": {"()": "config.logs.RequestIdFilter"},
        "redact": {"()": "config.logs.RedactingFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": environment.LOG_FORMAT,
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": environment.LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

from config.settings.auth import *  # noqa: E402, F403
from config.settings.celery import *  # noqa: E402, F403
from config.settings.grpc import *  # noqa: E402, F403
from config.settings.metrics import *  # noqa: E402, F403
from config.settings.notifications import *  # noqa: E402, F403
from config.settings.payments import *  # noqa: E402, F403
from config.settings.sentry import *  # noqa: E402, F403
from config.settings.snacks import *  # noqa: E402, F403
from config.settings.subscriptions import *  # noqa: E402, F403
