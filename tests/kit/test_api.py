"""The API plumbing every app's views share: errors, ids, permissions, fields."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousMultipartForm,
    TooManyFieldsSent,
)
from django.http import Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from kit.api.errors import (
    ErrorOutput,
    error_responses,
    framework_error_response,
    json_bad_request,
)
from kit.api.fields import HttpUrlField, StrictPositiveIntegerField
from kit.api.paths import path_uuid
from kit.api.permissions import (
    IsServiceToken,
    IsSupportStaff,
    MoneyRoleRequired,
    MovesMoney,
    MovesMoneyBooleanField,
    has_staff_role,
)
from tests.payments import staff


class TestFrameworkErrors:
    @pytest.mark.parametrize(
        ("error", "status_code", "code"),
        [
            (Http404(), 404, "not_found"),
            (PermissionDenied(), 403, "permission_denied"),
            (exceptions.NotAuthenticated(), 401, "not_authenticated"),
            (exceptions.Throttled(wait=7), 429, "throttled"),
            (TooManyFieldsSent(), 400, "too_many_fields"),
            (RequestDataTooBig(), 400, "request_too_large"),
            (SuspiciousMultipartForm(), 400, "bad_request"),
            (BadRequest(), 400, "bad_request"),
        ],
    )
    def test_django_and_drf_errors_take_the_one_shape(
        self, error: Exception, status_code: int, code: str
    ) -> None:
        response = framework_error_response(error)

        assert response is not None
        assert response.status_code == status_code
        assert set(response.data) == {"code", "message", "extra"}
        assert response.data["code"] == code

    @pytest.mark.parametrize(("wait", "header"), [(7, "7"), (6.2, "7"), (0.3, "1")])
    def test_a_throttled_client_is_told_when_to_come_back(
        self, wait: float, header: str
    ) -> None:
        """Whole seconds, rounded up and never zero."""
        response = framework_error_response(exceptions.Throttled(wait=wait))

        assert response is not None
        assert response["Retry-After"] == header

    def test_django_s_400_page_takes_the_one_shape_whatever_was_refused(
        self,
    ) -> None:
        response = json_bad_request(HttpRequest(), MultiPartParserError("boundary"))

        assert response.status_code == 400
        assert json.loads(response.content) == {
            "code": "bad_request",
            "message": "The request is malformed.",
            "extra": {},
        }

    def test_other_errors_are_left_to_the_caller(self) -> None:
        assert framework_error_response(LookupError("gateway")) is None

    def test_each_documented_status_has_the_error_shape(self) -> None:
        assert error_responses(400, 409) == {400: ErrorOutput, 409: ErrorOutput}


class TestPathIds:
    def test_a_uuid_is_parsed(self) -> None:
        value = uuid.uuid4()

        assert path_uuid(str(value), "payment_id") == value

    def test_a_malformed_one_is_a_validation_error_naming_the_segment(self) -> None:
        with pytest.raises(serializers.ValidationError) as failure:
            path_uuid("twelve", "payment_id")

        assert failure.value.detail == {"payment_id": ["Must be a valid UUID."]}


def _request(user: Any, auth: Any = None) -> Any:
    request = APIRequestFactory().get("/")
    force_authenticate(request, user=user, token=auth)
    return APIView().initialize_request(request)


@pytest.mark.django_db
class TestPermissions:
    @pytest.mark.parametrize(
        ("make_user", "allowed"),
        [
            (staff.support, True),
            (staff.accounting, True),
            (staff.superuser, True),
            (lambda: staff.staff(None), False),
            (staff.member, False),
        ],
    )
    def test_support_staff_are_the_configured_roles_and_superusers(
        self, make_user: Any, allowed: bool
    ) -> None:
        request = _request(make_user())

        assert IsSupportStaff().has_permission(request, None) is allowed

    def test_roles_other_than_the_ones_asked_for_are_refused(self) -> None:
        assert not has_staff_role(staff.support(), ["accounting"])

    @pytest.mark.parametrize(
        ("make_user", "allowed"),
        [
            (staff.support, False),
            (staff.accounting, True),
            (staff.superuser, True),
            (staff.member, False),
        ],
    )
    def test_only_the_money_roles_may_call_what_moves_money(
        self, make_user: Any, allowed: bool
    ) -> None:
        request = _request(make_user())

        if allowed:
            assert MovesMoney().has_permission(request, None)
        else:
            with pytest.raises(MoneyRoleRequired):
                MovesMoney().has_permission(request, None)

    @pytest.mark.parametrize(
        ("make_user", "refused"),
        [(staff.support, True), (staff.accounting, False), (lambda: None, True)],
    )
    def test_a_money_flag_set_true_needs_a_money_role(
        self, make_user: Any, refused: bool
    ) -> None:
        """Without a request in the context nobody may set it (fail closed)."""

        class Input(serializers.Serializer[Any]):
            refund = MovesMoneyBooleanField(default=False)

        user = make_user()
        context = {"request": _request(user)} if user is not None else {}
        serializer = Input(data={"refund": True}, context=context)

        if refused:
            with pytest.raises(MoneyRoleRequired) as refusal:
                serializer.is_valid()
            assert refusal.value.extra["fields"] == ["refund"]
        else:
            assert serializer.is_valid()
        assert Input(data={"refund": False}, context=context).is_valid()

    def test_a_service_token_is_an_active_users_token(self) -> None:
        user = staff.member()
        token = Token.objects.create(user=user)

        assert IsServiceToken().has_permission(_request(user, token), None)
        user.is_active = False
        assert not IsServiceToken().has_permission(_request(user, token), None)


class TestFields:
    @pytest.mark.parametrize("value", [12.0, "12.0", True, "1e3", 0, -5])
    def test_an_amount_is_a_whole_number_above_zero(self, value: object) -> None:
        with pytest.raises(serializers.ValidationError):
            StrictPositiveIntegerField().run_validation(value)

    @pytest.mark.parametrize("value", [12, "12"])
    def test_whole_numbers_are_taken(self, value: object) -> None:
        assert StrictPositiveIntegerField().run_validation(value) == 12

    @pytest.mark.parametrize(
        "value", ["javascript:alert(1)", "ftp://example.com/", "data:text/html,x"]
    )
    def test_a_redirect_is_an_http_url(self, value: str) -> None:
        with pytest.raises(serializers.ValidationError):
            HttpUrlField().run_validation(value)

    def test_an_https_url_is_taken(self) -> None:
        url = "https://shop.example.com/done"

        assert HttpUrlField().run_validation(url) == url
