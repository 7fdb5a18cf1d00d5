"""`GET /metrics` on the web: who may read it, and what it counts."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from prometheus_client import REGISTRY
from pytest_django.fixtures import Settings

from config.env import networks
from payments.models import Payment

pytestmark = pytest.mark.django_db

OUTSIDE = "203.0.113.7"
TOKEN = "a-metrics-token-of-the-scraper-0123456789"


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class TestAccess:
    def test_serves_the_text_format_to_loopback(self, client: Client) -> None:
        response = client.get("/metrics")

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=0.0.4")
        assert (
            b"# TYPE django_http_responses_total_by_status_view_method_total counter"
            in (response.content)
        )

    def test_refuses_an_address_outside_the_allowed_networks(
        self, client: Client
    ) -> None:
        """The 404 of a path that does not exist, in the one error shape."""
        response = client.get("/metrics", REMOTE_ADDR=OUTSIDE)

        assert response.status_code == 404
        assert response.json() == client.get("/nothing-here").json() | {
            "message": "Nothing is found at /metrics."
        }
        assert set(response.json()) == {"code", "message", "extra"}

    def test_serves_an_address_of_a_configured_network(
        self, client: Client, settings: Settings
    ) -> None:
        settings.METRICS_ALLOWED_NETWORKS = networks("X", ["10.0.0.0/8"])

        inside = client.get("/metrics", REMOTE_ADDR="10.20.30.40")
        loopback = client.get("/metrics")

        assert inside.status_code == 200
        assert loopback.status_code == 404

    def test_reads_an_ipv4_caller_of_a_dual_stack_socket_as_ipv4(
        self, client: Client
    ) -> None:
        response = client.get("/metrics", REMOTE_ADDR="::ffff:127.0.0.1")

        assert response.status_code == 200

    def test_refuses_a_request_a_proxy_relayed_from_an_allowed_address(
        self, client: Client
    ) -> None:
        """Traefik's own address is inside the network; the caller behind it is not."""
        response = client.get("/metrics", HTTP_X_FORWARDED_FOR=OUTSIDE)

        assert response.status_code == 404

    def test_serves_the_token_from_anywhere(
        self, client: Client, settings: Settings
    ) -> None:
        settings.METRICS_TOKEN = TOKEN

        response = client.get(
            "/metrics",
            REMOTE_ADDR=OUTSIDE,
            HTTP_X_FORWARDED_FOR=OUTSIDE,
            HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
        )

        assert response.status_code == 200

    def test_refuses_a_wrong_token(self, client: Client, settings: Settings) -> None:
        settings.METRICS_TOKEN = TOKEN

        response = client.get(
            "/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {TOKEN}x"
        )

        assert response.status_code == 404

    def test_accepts_no_token_when_none_is_configured(self, client: Client) -> None:
        """An empty METRICS_TOKEN is no token, not one that an empty header matches."""
        response = client.get(
            "/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer "
        )

        assert response.status_code == 404

    def test_refuses_methods_other_than_get(self, client: Client) -> None:
        assert client.post("/metrics").status_code == 405


class TestAllowedNetworks:
    def test_parses_networks_and_single_addresses(self) -> None:
        parsed = networks("METRICS_ALLOWED_NETWORKS", ["10.0.0.0/8", " ::1 ", ""])

        assert parsed == (
            ipaddress.ip_network("10.0.0.0/8"),
            ipaddress.ip_network("::1/128"),
        )

    def test_refuses_an_entry_that_is_no_network(self) -> None:
        with pytest.raises(ImproperlyConfigured, match="METRICS_ALLOWED_NETWORKS"):
            networks("METRICS_ALLOWED_NETWORKS", ["10.0.0.0/8", "intranet"])


class TestWhatTheWebCounts:
    def test_counts_a_response_by_status_view_and_method(self, client: Client) -> None:
        labels = {"status": "200", "view": "healthz", "method": "GET"}
        name = "django_http_responses_total_by_status_view_method_total"
        before = _sample(name, **labels)

        client.get("/healthz")
        client.get("/healthz")

        assert _sample(name, **labels) - before == 2

    def test_counts_a_made_up_method_under_one_label(self, client: Client) -> None:
        """A client cannot make up label values, and with them series."""
        labels = {"status": "405", "view": "healthz", "method": "<invalid method>"}
        name = "django_http_responses_total_by_status_view_method_total"
        before = _sample(name, **labels)

        client.generic("BREW", "/healthz")

        assert _sample(name, **labels) - before == 1
        assert _sample(name, status="405", view="healthz", method="BREW") == 0

    def test_counts_a_path_no_view_matched_as_unnamed(self, client: Client) -> None:
        labels = {"status": "404", "view": "<unnamed view>", "method": "GET"}
        name = "django_http_responses_total_by_status_view_method_total"
        before = _sample(name, **labels)

        client.get("/nothing-here")

        assert _sample(name, **labels) - before == 1

    def test_times_a_request_by_view(self, client: Client) -> None:
        name = "django_http_requests_latency_seconds_by_view_method_count"
        before = _sample(name, view="readyz", method="GET")

        client.get("/readyz")

        assert _sample(name, view="readyz", method="GET") - before == 1

    def test_counts_database_statements(self) -> None:
        """The database backend is django-prometheus's wrapper of the same one."""
        from django.db import connection

        name = "django_db_execute_total"
        labels = {"alias": "default", "vendor": connection.vendor}
        before = _sample(name, **labels)

        Payment.objects.count()

        assert _sample(name, **labels) - before == 1
