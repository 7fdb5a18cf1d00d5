"""Production settings fail closed: each secret, gateway address, database and broker
must be given, non-empty, not a development default and safe, or nothing starts.

Every case loads the settings in a process of its own, from a full set of throw-away
good values with one of them spoiled.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import DEVELOPMENT_DEFAULTS
from config.production_checks import RULES
from tests.config.production_environment import (
    GOOD_PRODUCTION_VALUES,
    ROOT,
    import_settings,
    production_environment,
    run_manage,
)

REQUIRED = {
    "DJANGO_SECRET_KEY",
    "TOKEN_ENCRYPTION_KEYS",
    "JWT_SIGNING_KEY",
    "CLOUDPAYMENTS_PUBLIC_ID",
    "CLOUDPAYMENTS_API_SECRET",
    "CLOUDPAYMENTS_API_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CHECKOUT_REDIRECT_ALLOWED_HOSTS",
    "EMAIL_HOST",
    "DEFAULT_FROM_EMAIL",
    "AUTH_GRPC_TOKEN",
    "SHOP_BILLING_TOKEN",
    "SHOP_CHECKOUT_RETURN_URL",
    "SHOP_SHIPPING_URL",
    "SHOP_SHIPPING_API_KEY",
    "CHECKOUT_BASE_URL",
}
HTTPS_URLS = [
    "CLOUDPAYMENTS_API_URL",
    "STRIPE_API_BASE",
    "SHOP_CHECKOUT_RETURN_URL",
    "SHOP_SHIPPING_URL",
    "CHECKOUT_BASE_URL",
]
# A refused value per variable and rule, beyond unset, empty and the default.
UNSAFE_VALUES = [
    *((name, GOOD_PRODUCTION_VALUES[name].replace("https://", "http://"))
      for name in HTTPS_URLS),
    ("CLOUDPAYMENTS_API_URL", "api.cloudpayments.ru/"),
    ("DATABASE_URL", "sqlite:////var/lib/billing/db.sqlite3"),
    ("CELERY_BROKER_URL", "filesystem://localhost//"),
    ("CELERY_BROKER_URL", "memory://"),
    ("CHECKOUT_REDIRECT_ALLOWED_HOSTS", "*"),
    ("CHECKOUT_REDIRECT_ALLOWED_HOSTS", "shop.example,"),
    ("CLOUDPAYMENTS_CHECKOUT_SCRIPT_URL", "http://widget.cloudpayments.ru/bundles/checkout"),
    ("STRIPE_JS_URL", "http://127.0.0.1:8100/__sandbox/stripe/v3.js"),
    ("SHOP_SHIPPING_URL", "http://127.0.0.1:8100/shipping/v1"),
    ("DEFAULT_PAYMENT_GATEWAY", "fake"),
    ("DJANGO_SECRET_KEY", "short-but-not-empty"),
    ("DEFAULT_FROM_EMAIL", "billing"),
    ("DEFAULT_FROM_EMAIL", "Billing <billing@mailhost>"),
    ("TOKEN_ENCRYPTION_KEYS", "not-a-fernet-key"),
    ("JWT_SIGNING_KEY", "a-key-shorter-than-its-hash"),
    ("JWT_VERIFYING_KEYS", f"retired-key,{DEVELOPMENT_DEFAULTS['JWT_SIGNING_KEY']}"),
    ("JWT_VERIFYING_KEYS", "retired-key,"),
    (
        "TOKEN_ENCRYPTION_KEYS",
        f"{GOOD_PRODUCTION_VALUES['TOKEN_ENCRYPTION_KEYS'].split(',')[0]},"
        f"{DEVELOPMENT_DEFAULTS['TOKEN_ENCRYPTION_KEYS']}",
    ),
]  # fmt: skip


def _problems(stderr: str) -> list[str]:
    """The listed problems of the refusal, one a line."""
    return re.findall(r"^  - (.+)$", stderr, re.MULTILINE)


def _assert_refused_for(result: subprocess.CompletedProcess[str], name: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert "Production settings refuse to start" in result.stderr
    problems = _problems(result.stderr)
    assert problems, result.stderr
    assert all(problem.startswith(f"{name} ") for problem in problems), problems


class TestRefusals:
    def test_requires_every_secret_and_gateway_setting(self) -> None:
        assert set(RULES) == REQUIRED == set(GOOD_PRODUCTION_VALUES)
        assert set(DEVELOPMENT_DEFAULTS) < REQUIRED

    @pytest.mark.parametrize("name", sorted(GOOD_PRODUCTION_VALUES))
    def test_refuses_a_missing_variable(self, tmp_path: Path, name: str) -> None:
        result = import_settings(production_environment(tmp_path, **{name: None}))

        _assert_refused_for(result, name)
        assert _problems(result.stderr) == [f"{name} is not set"]

    @pytest.mark.parametrize("name", sorted(GOOD_PRODUCTION_VALUES))
    def test_refuses_an_empty_variable(self, tmp_path: Path, name: str) -> None:
        result = import_settings(production_environment(tmp_path, **{name: ""}))

        _assert_refused_for(result, name)
        assert _problems(result.stderr) == [f"{name} is empty"]

    @pytest.mark.parametrize("name", sorted(DEVELOPMENT_DEFAULTS))
    def test_refuses_the_development_default(self, tmp_path: Path, name: str) -> None:
        """The defaults are public: a service on them takes forged webhooks."""
        environment = production_environment(
            tmp_path, **{name: DEVELOPMENT_DEFAULTS[name]}
        )

        result = import_settings(environment)

        _assert_refused_for(result, name)
        assert "development default" in result.stderr

    @pytest.mark.parametrize(("name", "value"), UNSAFE_VALUES)
    def test_refuses_an_unsafe_value(
        self, tmp_path: Path, name: str, value: str
    ) -> None:
        result = import_settings(production_environment(tmp_path, **{name: value}))

        _assert_refused_for(result, name)

    def test_never_prints_a_refused_value(self, tmp_path: Path) -> None:
        environment = production_environment(
            tmp_path,
            TOKEN_ENCRYPTION_KEYS="a-secret-that-is-not-a-fernet-key",
            STRIPE_API_BASE="http://user:a-password@api.stripe.com",
        )

        result = import_settings(environment)

        assert result.returncode != 0
        assert "a-secret-that-is-not-a-fernet-key" not in result.stderr
        assert "a-password" not in result.stderr

    def test_reports_every_problem_at_once(self, tmp_path: Path) -> None:
        unset = dict.fromkeys(GOOD_PRODUCTION_VALUES)

        result = import_settings(production_environment(tmp_path, **unset))

        assert _problems(result.stderr) == [f"{name} is not set" for name in RULES]

    def test_manage_py_refuses_to_run_a_command(self, tmp_path: Path) -> None:
        result = run_manage(
            "check",
            environment=production_environment(tmp_path, DJANGO_SECRET_KEY=None),
        )

        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY is not set" in result.stderr


def _inspect_production(tmp_path: Path) -> dict[str, object]:
    """What production settings serve, as seen from a process running them."""
    script = """
import json
import django
from django.conf import settings
from django.test import Client

django.setup()
client = Client(HTTP_HOST="localhost")
print(json.dumps({
    "gateways": sorted(settings.PAYMENT_GATEWAYS),
    "api_over_http": [
        client.get("/api/").status_code, client.get("/api/")["Location"]
    ],
    "healthz_over_http": client.get("/healthz").status_code,
    "readyz_redirects": client.get("/readyz").status_code in (301, 302),
    "metrics_from_elsewhere": client.get(
        "/metrics", REMOTE_ADDR="203.0.113.7"
    ).status_code,
    "hsts": client.get("/healthz", secure=True).get("Strict-Transport-Security"),
    "cookies_secure": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    "debug": settings.DEBUG,
    "scripts": [settings.CLOUDPAYMENTS_CHECKOUT_SCRIPT_URL, settings.STRIPE_JS_URL],
    "sandbox_payloads": settings.CHECKOUT_SANDBOX_PAYLOADS,
    "is_production": settings.IS_PRODUCTION,
}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=production_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    facts: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return facts


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return _inspect_production(tmp_path_factory.mktemp("production"))


class TestProductionSettings:
    def test_start_with_good_values(self, tmp_path: Path) -> None:
        result = import_settings(production_environment(tmp_path))

        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "DEBUG False"

    def test_do_not_register_the_fake_gateway(
        self, production: dict[str, object]
    ) -> None:
        assert production["gateways"] == ["cloudpayments", "stripe"]

    def test_load_the_gateways_own_scripts_at_checkout(
        self, production: dict[str, object]
    ) -> None:
        assert production["scripts"] == [
            "https://widget.cloudpayments.ru/bundles/checkout",
            "https://js.stripe.com/v3/",
        ]
        assert production["sandbox_payloads"] is False

    def test_redirect_plain_http_to_https(self, production: dict[str, object]) -> None:
        assert production["api_over_http"] == [301, "https://localhost/api/"]

    def test_let_the_probes_answer_over_plain_http(
        self, production: dict[str, object]
    ) -> None:
        """The load balancer calls them inside the network, without TLS."""
        assert production["healthz_over_http"] == 200
        assert production["readyz_redirects"] is False

    def test_answer_no_one_outside_loopback_with_metrics(
        self, production: dict[str, object]
    ) -> None:
        """Not redirected to HTTPS (the scraper calls inside the network), and not
        served to an address outside the default allowed networks."""
        assert production["metrics_from_elsewhere"] == 404

    def test_send_hsts_for_subdomains_too(self, production: dict[str, object]) -> None:
        assert production["hsts"] == "max-age=31536000; includeSubDomains; preload"

    def test_mark_session_and_csrf_cookies_secure(
        self, production: dict[str, object]
    ) -> None:
        assert production["cookies_secure"] == [True, True]
        assert production["debug"] is False
        assert production["is_production"] is True

    def test_pass_the_deployment_checks_at_warning_level(self, tmp_path: Path) -> None:
        """What CI runs (`make test`): Django's own deployment checklist."""
        result = run_manage(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            environment=production_environment(tmp_path),
        )

        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues" in result.stdout


def _benchmark_environment(
    tmp_path: Path, stripe_api_base: str, **changes: str
) -> dict[str, str]:
    return production_environment(
        tmp_path,
        **{
            "DJANGO_SETTINGS_MODULE": "config.settings.benchmark",
            "CLOUDPAYMENTS_API_URL": "http://127.0.0.1:8100/",
            "STRIPE_API_BASE": stripe_api_base,
            "SHOP_SHIPPING_URL": "http://127.0.0.1:8100/shipping/v1",
            **changes,
        },
    )


class TestBenchmarkSettings:
    def test_run_as_deployed_against_a_local_sandbox(self, tmp_path: Path) -> None:
        result = import_settings(_benchmark_environment(tmp_path, "http://[::1]:8100"))

        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "DEBUG False"

    def test_refuse_a_gateway_off_loopback(self, tmp_path: Path) -> None:
        """Built for the sandbox, they can never reach a real gateway."""
        environment = _benchmark_environment(tmp_path, "https://api.stripe.com")

        result = import_settings(environment)

        assert result.returncode != 0
        assert "STRIPE_API_BASE must point at a sandbox on loopback" in result.stderr

    def test_refuse_a_shipping_partner_off_loopback(self, tmp_path: Path) -> None:
        """Nor register a parcel with a real partner."""
        environment = _benchmark_environment(
            tmp_path,
            "http://127.0.0.1:8100",
            SHOP_SHIPPING_URL="https://partner.example/v1",
        )

        result = import_settings(environment)

        assert result.returncode != 0
        assert "SHOP_SHIPPING_URL must point at a sandbox on loopback" in (
            result.stderr
        )


class TestDemoData:
    """Demo staff have published passwords: production never creates them."""

    @pytest.mark.parametrize(
        ("command", "refusal"),
        [
            ("load_demo_data", "demo data is for local and test settings only"),
            (
                "load_demo_subscriptions",
                "demo data is for local and test settings only",
            ),
            ("devstack", "devstack is for local settings only"),
        ],
    )
    def test_production_settings_refuse_before_touching_the_database(
        self, tmp_path: Path, command: str, refusal: str
    ) -> None:
        """The database named is unreachable: a refusal that came later would show
        as a connection error instead."""
        result = run_manage(command, environment=production_environment(tmp_path))

        assert result.returncode == 1, result.stdout + result.stderr
        assert f"CommandError: {refusal}" in result.stderr
        assert "Traceback" not in result.stderr
        assert "Demo staff" not in result.stdout
