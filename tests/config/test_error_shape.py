"""Every API error has one JSON shape: {"code", "message", "extra"}."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from accounts.models import User
from billing.errors import Conflict, DomainError
from config.exception_handler import handle_api_exception
from tests.payments import staff

pytestmark = pytest.mark.django_db

CHECKOUT_SESSIONS = "/api/v1/checkout-sessions/"


class TestHandleApiException:
    def test_domain_errors_keep_their_code_status_and_extra(self) -> None:
        class InvoiceAlreadyPaid(Conflict):
            code = "invoice_already_paid"

        response = handle_api_exception(
            InvoiceAlreadyPaid("Invoice 7 is paid.", extra={"invoice": 7}), {}
        )

        assert response.status_code == 409
        assert response.data == {
            "code": "invoice_already_paid",
            "message": "Invoice 7 is paid.",
            "extra": {"invoice": 7},
        }

    def test_validation_errors_list_the_fields(self) -> None:
        class AmountInput(serializers.Serializer[dict[str, object]]):
            amount_minor = serializers.IntegerField(min_value=1)

        form = AmountInput(data={"amount_minor": 0})
        try:
            form.is_valid(raise_exception=True)
        except ValidationError as exc:
            response = handle_api_exception(exc, {})

        assert response.status_code == 400
        assert response.data["code"] == "validation_error"
        assert "amount_minor" in response.data["extra"]["fields"]

    def test_unexpected_errors_become_a_logged_500_without_details(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        response = handle_api_exception(RuntimeError("token tk_secret leaked?"), {})

        assert response.status_code == 500
        assert response.data == {
            "code": "internal_error",
            "message": "An unexpected error occurred.",
            "extra": {},
        }
        assert "Unable to complete an API request" in caplog.text

    def test_a_plain_domain_error_is_unprocessable(self) -> None:
        response = handle_api_exception(DomainError("No."), {})

        assert response.status_code == 422
        assert response.data["code"] == "domain_error"


class TestApiErrorsOverHttp:
    def test_anonymous_requests_are_refused_in_the_error_shape(
        self, client: Client
    ) -> None:
        response = client.get("/api/")

        assert response.status_code == 403
        assert response.json() == {
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
            "extra": {},
        }

    def test_non_staff_users_are_refused(self, client: Client) -> None:
        member = User.objects.create_user("member@example.com", "pw-12345-long")
        client.force_login(member)

        response = client.get("/api/")

        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"

    def test_staff_see_the_api_root(self, client: Client) -> None:
        staff = User.objects.create_user("staff@example.com", "pw", is_staff=True)
        client.force_login(staff)

        response = client.get("/api/", HTTP_ACCEPT="application/json")

        assert response.status_code == 200
        assert response.json()["docs"].endswith("/api/docs/")

    def test_unknown_paths_answer_404_in_the_error_shape(self, client: Client) -> None:
        response = client.get("/api/no-such-thing/")

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_the_docs_page_refuses_options_without_a_server_error(
        self, client: Client
    ) -> None:
        response = client.options("/api/docs/")

        assert response.status_code == 405
        assert client.get("/api/docs/").status_code == 200

    def test_the_openapi_schema_is_served_to_staff(self, client: Client) -> None:
        staff = User.objects.create_user("staff@example.com", "pw", is_staff=True)
        client.force_login(staff)

        response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

        assert response.status_code == 200
        assert response.json()["info"]["title"] == "Billing service API"


class TestRequestsDjangoRefuses:
    """Requests refused as they are read are 400s in the error shape, not 500s (when
    a DRF view reads them) or Django's HTML page (when no view is reached)."""

    @pytest.fixture
    def staff_client(self, client: Client) -> Client:
        client.force_login(staff.support())
        return client

    def test_too_many_query_parameters(self, staff_client: Client) -> None:
        query = "&".join(
            f"f{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)
        )

        response = staff_client.get(f"/api/?{query}&one=more")

        assert response.status_code == 400
        assert response.json()["code"] == "too_many_fields"

    @pytest.mark.parametrize(
        "content_type", ["application/json", "application/x-www-form-urlencoded"]
    )
    def test_a_body_over_the_size_limit(
        self, staff_client: Client, content_type: str
    ) -> None:
        body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

        response = staff_client.post(CHECKOUT_SESSIONS, body, content_type=content_type)

        assert response.status_code == 400
        assert response.json()["code"] == "request_too_large"

    def test_json_nested_too_deeply_to_decode(self, staff_client: Client) -> None:
        body = "[" * 100_000 + "]" * 100_000

        response = staff_client.post(
            CHECKOUT_SESSIONS, body, content_type="application/json"
        )

        assert response.status_code == 400
        assert response.json()["code"] == "parse_error"

    def test_a_host_that_is_not_served(self, client: Client) -> None:
        response = client.get("/api/", HTTP_HOST="evil.example")

        assert response.status_code == 400
        assert response.json() == {
            "code": "disallowed_host",
            "message": "The request names a host that this service does not serve.",
            "extra": {},
        }
