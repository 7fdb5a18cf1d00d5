"""Opening a hosted checkout page: for an amount, or to start a plan.

It lives here, not in the payments API, because a page for a plan starts the
subscription with it; payments keeps the sessions, their page and reading one
(`GET /api/v1/checkout-sessions/<id>/`).
"""

from __future__ import annotations

from typing import Any, Final

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.clock import billing_now
from billing.money import Money, UnknownCurrency, currency_exponent
from kit.actors import staff_actor
from kit.api.errors import error_responses
from kit.api.fields import RedirectUrlField, StrictPositiveIntegerField
from kit.api.permissions import IsServiceToken, IsSupportStaff
from payments.services import create_checkout_session
from subscriptions.api.serializers import CheckoutSessionCreateOutput
from subscriptions.services import open_plan_checkout

# Gateways a payer may be sent to for an amount; the fake one exists only for tests.
_TEST_ONLY_GATEWAYS: Final = frozenset({"fake"})
# Fields of one way of opening a page that the other way refuses.
_AMOUNT_ONLY: Final = ("currency", "gateway", "description")
_PLAN_ONLY: Final = ("with_trial", "time_zone")
_EITHER: Final = (
    "Give either a plan, or an amount (amount_minor, currency and gateway), not both."
)
# The two ways of opening a page, as the schema shows them (and the API's fuzz
# sends them, so that it opens pages as well as being refused).
_EXAMPLES: Final = [
    OpenApiExample(
        "For a plan",
        request_only=True,
        value={
            "payer_id": "5d7c1f0e-8a44-4b8e-9d1a-0c3f6e2b7a10",
            "plan": "cinema-monthly",
            "success_url": "https://cinema.example/welcome",
            "failure_url": "https://cinema.example/sorry",
        },
    ),
    OpenApiExample(
        "For an amount",
        request_only=True,
        value={
            "payer_id": "5d7c1f0e-8a44-4b8e-9d1a-0c3f6e2b7a10",
            "amount_minor": 149_000,
            "currency": "RUB",
            "gateway": "cloudpayments",
            "description": "A year of cinema",
            "success_url": "https://cinema.example/welcome",
            "failure_url": "https://cinema.example/sorry",
        },
    ),
]


def _redirect_hosts() -> list[str]:
    return list(settings.CHECKOUT_REDIRECT_ALLOWED_HOSTS)


class CheckoutSessionCreateApi(APIView):
    """Open a hosted checkout page for a payer, for an amount or to start a plan;
    send the payer to its `url`.

    With a plan, the subscription starts INCOMPLETE at the plan's current price on
    its gateway, and the page pays its first invoice or, for a trial, checks the
    card without charging it (mode CARD_SETUP); the subscription becomes ACTIVE or
    TRIALING once the page is used.
    """

    permission_classes = [IsSupportStaff | IsServiceToken]

    @extend_schema_serializer(component_name="CheckoutSessionCreateInput")
    class InputSerializer(serializers.Serializer[Any]):
        payer_id = serializers.UUIDField()
        plan = serializers.SlugField(
            max_length=50,
            required=False,
            help_text="A plan code: the page starts a subscription to the plan. "
            "Give either this or amount_minor, currency and gateway.",
        )
        with_trial = serializers.BooleanField(
            default=True,
            help_text="With a plan that has a trial: start it (the page checks "
            "the card and charges nothing now). false: pay the first period now.",
        )
        time_zone = serializers.CharField(
            max_length=64,
            default="UTC",
            help_text="With a plan: the IANA time zone of the subscription's "
            "calendar, e.g. `Europe/Moscow`.",
        )
        amount_minor = StrictPositiveIntegerField(
            required=False,
            help_text="Amount in the currency's minor units (kopecks, cents).",
        )
        currency = serializers.CharField(
            required=False, help_text="ISO 4217 code, e.g. `RUB`."
        )
        gateway = serializers.ChoiceField(choices=[], required=False)
        description = serializers.CharField(
            max_length=200,
            required=False,
            allow_blank=True,
            default="",
            help_text="With an amount: what the page says is bought.",
        )
        success_url = RedirectUrlField(
            max_length=2000,
            allowed_hosts=_redirect_hosts,
            help_text="Where the page sends the payer after paying; its host must "
            "be in CHECKOUT_REDIRECT_ALLOWED_HOSTS.",
        )
        failure_url = RedirectUrlField(
            max_length=2000,
            allowed_hosts=_redirect_hosts,
            help_text="Where the page sends the payer when paying fails; its host "
            "must be in CHECKOUT_REDIRECT_ALLOWED_HOSTS.",
        )

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            gateway = self.fields["gateway"]
            assert isinstance(gateway, serializers.ChoiceField)
            gateway.choices = sorted(
                set(settings.PAYMENT_GATEWAYS) - _TEST_ONLY_GATEWAYS
            )

        def validate_currency(self, value: str) -> str:
            try:
                currency_exponent(value)
            except UnknownCurrency as exc:
                raise serializers.ValidationError(exc.message) from None
            return value

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if ("plan" in attrs) == ("amount_minor" in attrs):
                raise serializers.ValidationError(_EITHER)
            # Defaults fill in the other way's fields: what was sent is what counts.
            sent = set(self.initial_data)
            if "plan" in attrs:
                refused = {
                    name: ["Only with an amount: the plan sets it."]
                    for name in _AMOUNT_ONLY
                    if name in sent
                }
            else:
                refused = {
                    name: ["Only with a plan."] for name in _PLAN_ONLY if name in sent
                }
                refused.update(
                    {
                        name: ["This field is required with an amount."]
                        for name in ("currency", "gateway")
                        if name not in attrs
                    }
                )
            if refused:
                raise serializers.ValidationError(refused)
            return attrs

    @extend_schema(
        operation_id="checkout_sessions_create",
        tags=["checkout sessions"],
        request=InputSerializer,
        examples=_EXAMPLES,
        responses={
            201: CheckoutSessionCreateOutput,
            **error_responses(400, 403, 404, 409, 422),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        now = billing_now()
        created_by = staff_actor(request)
        subscription_id = None
        if "plan" in data:
            checkout = open_plan_checkout(
                payer_id=data["payer_id"],
                plan_code=data["plan"],
                with_trial=data["with_trial"],
                time_zone=data["time_zone"],
                success_url=data["success_url"],
                failure_url=data["failure_url"],
                created_by=created_by,
                now=now,
            )
            session, subscription_id = checkout.session, checkout.subscription.id
        else:
            session = create_checkout_session(
                payer_id=data["payer_id"],
                amount=Money(data["amount_minor"], data["currency"]),
                gateway=data["gateway"],
                success_url=data["success_url"],
                failure_url=data["failure_url"],
                description=data["description"],
                created_by=created_by,
                now=now,
            )
        output = CheckoutSessionCreateOutput(
            session,
            context={
                "request": request,
                "now": now,
                "subscription_id": subscription_id,
            },
        )
        return Response(output.data, status=status.HTTP_201_CREATED)
