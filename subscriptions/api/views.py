"""Support API of plans and subscriptions: one view per operation (HackSoft).

Support and accounting staff read everything and may cancel, undo a cancellation,
pause, resume, change the plan and retry a past-due charge (SPEC §9); only
accounting moves money: refunds the unused part of a cancellation, or makes an
upgrade that charges the card now (`MovesMoneyBooleanField`). Each change is one service
call at `billing_now()`, by `user:<uuid>`; the renewal run picks it up at its next
sweep. Ids arrive as plain path segments and are checked here, so that a malformed
one is a 400 that names the bad field, an unknown one a 404, and a change that the
subscription's state does not allow a 409, all in the API's one error shape.

The plumbing (errors, permissions, path ids, pagination) comes from `kit.api`, the
refunds' shape from the payments API and the invoices' from billing's: the apps'
views are one HTTP API under /api/v1/.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import selectors as billing_selectors
from billing.clock import billing_now
from kit.actors import staff_actor
from kit.api.errors import ErrorOutput, error_responses
from kit.api.filters import CreatedRangeFilter
from kit.api.pagination import ListPagination, paginated_response
from kit.api.paths import path_parameter, path_uuid
from kit.api.permissions import IsSupportStaff, MovesMoneyBooleanField
from payments.models import Gateway
from subscriptions import selectors
from subscriptions.api.serializers import (
    PlanOutput,
    SubscriptionCancelOutput,
    SubscriptionDetailOutput,
    SubscriptionOutput,
    SubscriptionPlanChangeOutput,
)
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services import (
    SubscriptionNotFound,
    cancel_subscription,
    change_plan,
    pause_subscription,
    resume_subscription,
    retry_past_due_now,
    undo_cancellation,
)

# The subscription page lists this many of its latest invoices; the invoice list,
# filtered by subscription, has them all.
RECENT_INVOICES = 24
_READ_ERRORS = error_responses(400, 403, 404)
_CHANGE_ERRORS = error_responses(400, 403, 404, 409)
_PLAN_CHANGE_ERRORS = error_responses(400, 402, 403, 404, 409, 422)


def _subscription_detail(
    request: Request,
    subscription_id: uuid.UUID,
    output: type[SubscriptionDetailOutput] = SubscriptionDetailOutput,
    **context: Any,
) -> Response:
    """The subscription as `output` shows it, read afresh.

    :raises SubscriptionNotFound:
    """
    subscription = selectors.subscription_get(subscription_id=subscription_id)
    if subscription is None:
        raise SubscriptionNotFound(extra={"subscription": str(subscription_id)})
    filters = billing_selectors.InvoiceFilters(subscription_id=subscription.id)
    invoices = billing_selectors.invoice_list(filters=filters)[:RECENT_INVOICES]
    trail = billing_selectors.audit_trail(
        object_type="subscription", object_id=subscription.id
    )
    serializer = output(
        subscription,
        context={
            "request": request,
            "invoices": invoices,
            "audit_trail": trail,
            **context,
        },
    )
    return Response(serializer.data)


class PlanListApi(APIView):
    """The plans offered to new subscribers, with their current price."""

    permission_classes = [IsSupportStaff]

    @extend_schema(
        operation_id="plans_list",
        tags=["plans"],
        responses={200: PlanOutput(many=True), 403: ErrorOutput},
    )
    def get(self, request: Request) -> Response:
        plans = selectors.active_plan_list()
        return Response(PlanOutput(plans, many=True).data)


class SubscriptionListApi(APIView):
    """Subscriptions, newest first, filtered and paginated (limit/offset)."""

    permission_classes = [IsSupportStaff]
    pagination_class = ListPagination

    class FilterSerializer(CreatedRangeFilter):
        payer = serializers.UUIDField(required=False, help_text="Payer UUID.")
        status = serializers.ChoiceField(
            choices=SubscriptionStatus.choices, required=False
        )
        plan = serializers.SlugField(required=False, help_text="A plan code.")
        gateway = serializers.ChoiceField(choices=Gateway.choices, required=False)
        past_due = serializers.BooleanField(
            required=False,
            allow_null=True,
            help_text="true: only subscriptions in dunning; false: none of them.",
        )
        search = serializers.UUIDField(
            required=False, help_text="A subscription or payer UUID (exact)."
        )

    @extend_schema(
        operation_id="subscriptions_list",
        tags=["subscriptions"],
        parameters=[FilterSerializer],
        responses={200: SubscriptionOutput(many=True), **_READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        subscriptions = selectors.subscription_list(
            filters=selectors.SubscriptionFilters(
                payer_id=data.get("payer"),
                status=data.get("status"),
                plan=data.get("plan"),
                gateway=data.get("gateway"),
                past_due=data.get("past_due"),
                search=data.get("search"),
                created_after=data.get("created_after"),
                created_before=data.get("created_before"),
            )
        )
        return paginated_response(
            queryset=subscriptions,
            output=SubscriptionOutput,
            request=request,
            view=self,
        )


class SubscriptionDetailApi(APIView):
    """A subscription with its invoices, dunning state and pending changes."""

    permission_classes = [IsSupportStaff]

    @extend_schema(
        operation_id="subscriptions_retrieve",
        tags=["subscriptions"],
        parameters=[path_parameter("subscription_id", OpenApiTypes.UUID)],
        responses={200: SubscriptionDetailOutput, **_READ_ERRORS},
    )
    def get(self, request: Request, subscription_id: str) -> Response:
        parsed = path_uuid(subscription_id, "subscription_id")
        return _subscription_detail(request, parsed)


def _change_schema(
    operation_id: str,
    *,
    request: Any = None,
    output: Any = SubscriptionDetailOutput,
    errors: dict[int, Any] = _CHANGE_ERRORS,
) -> Any:
    """The schema of a change to a subscription: the subscription as it is after."""
    return extend_schema(
        operation_id=operation_id,
        tags=["subscriptions"],
        parameters=[path_parameter("subscription_id", OpenApiTypes.UUID)],
        request=request,
        responses={200: output, **errors},
    )


def _change_input(
    input_serializer: type[serializers.Serializer[Any]],
    request: Request,
    subscription_id: str,
) -> tuple[uuid.UUID, dict[str, Any]]:
    """The subscription's id and the change's validated body.

    :raises ValidationError: for a malformed id or body.
    """
    parsed = path_uuid(subscription_id, "subscription_id")
    serializer = input_serializer(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return parsed, dict(serializer.validated_data)


class SubscriptionCancelApi(APIView):
    """Cancel now (ending access, optionally refunding the unused part of a paid
    period) or at the end of the current period."""

    permission_classes = [IsSupportStaff]

    @extend_schema_serializer(component_name="SubscriptionCancelInput")
    class InputSerializer(serializers.Serializer[Any]):
        at_period_end = serializers.BooleanField(
            help_text="true: at the end of the current period (undo is possible "
            "until then); false: now."
        )
        refund_unused = MovesMoneyBooleanField(
            default=False,
            help_text="With a cancellation now: refund the unused part of the paid "
            "period, prorated to the microsecond. Accounting only: a 403 for "
            "support.",
        )
        reason = serializers.CharField(
            max_length=200, required=False, allow_blank=True, default=""
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if attrs["at_period_end"] and attrs["refund_unused"]:
                raise serializers.ValidationError(
                    {"refund_unused": ["Only a cancellation now refunds."]}
                )
            return attrs

    @_change_schema(
        "subscriptions_cancel", request=InputSerializer, output=SubscriptionCancelOutput
    )
    def post(self, request: Request, subscription_id: str) -> Response:
        parsed, data = _change_input(self.InputSerializer, request, subscription_id)
        cancellation = cancel_subscription(
            subscription_id=parsed,
            now=billing_now(),
            actor=staff_actor(request),
            at_period_end=data["at_period_end"],
            refund_unused=data["refund_unused"],
            reason=data["reason"],
        )
        return _subscription_detail(
            request, parsed, SubscriptionCancelOutput, refunds=cancellation.refunds
        )


class SubscriptionChangePlanApi(APIView):
    """Move a subscription to another plan: a trial or a downgrade (at the period
    end) charges nothing; an upgrade of a paying subscription takes effect now and
    charges the prorated difference to the card, so it needs `charge_now`, which
    only accounting may set."""

    permission_classes = [IsSupportStaff]

    @extend_schema_serializer(component_name="SubscriptionChangePlanInput")
    class InputSerializer(serializers.Serializer[Any]):
        plan = serializers.SlugField(
            max_length=50, help_text="The code of the plan to move to (on sale)."
        )
        charge_now = MovesMoneyBooleanField(
            default=False,
            help_text="Allow an upgrade, which charges the payer's card now; "
            "without it an upgrade is a 409 `plan_change_charges_now` and nothing "
            "is done. Accounting only: a 403 for support.",
        )

    @_change_schema(
        "subscriptions_change_plan",
        request=InputSerializer,
        output=SubscriptionPlanChangeOutput,
        errors=_PLAN_CHANGE_ERRORS,
    )
    def post(self, request: Request, subscription_id: str) -> Response:
        parsed, data = _change_input(self.InputSerializer, request, subscription_id)
        change = change_plan(
            subscription_id=parsed,
            plan_code=data["plan"],
            now=billing_now(),
            actor=staff_actor(request),
            may_charge=data["charge_now"],
        )
        return _subscription_detail(
            request, parsed, SubscriptionPlanChangeOutput, plan_change=change
        )


class _SubscriptionChangeApi(APIView):
    """A change that takes no input: one lifecycle service call, then the
    subscription as it is after."""

    permission_classes = [IsSupportStaff]
    # The service, called with the subscription's id, the time and the actor.
    change: ClassVar[Callable[..., Subscription]]

    def post(self, request: Request, subscription_id: str) -> Response:
        parsed = path_uuid(subscription_id, "subscription_id")
        type(self).change(
            subscription_id=parsed, now=billing_now(), actor=staff_actor(request)
        )
        return _subscription_detail(request, parsed)


@extend_schema_view(post=_change_schema("subscriptions_undo_cancellation"))
class SubscriptionUndoCancellationApi(_SubscriptionChangeApi):
    """Keep a subscription whose cancellation at period end is still to come."""

    change = undo_cancellation


@extend_schema_view(post=_change_schema("subscriptions_pause"))
class SubscriptionPauseApi(_SubscriptionChangeApi):
    """Stop charging an active or trialing subscription until it is resumed."""

    change = pause_subscription


@extend_schema_view(post=_change_schema("subscriptions_resume"))
class SubscriptionResumeApi(_SubscriptionChangeApi):
    """Resume a paused subscription; its period ends as much later as it paused."""

    change = resume_subscription


@extend_schema_view(post=_change_schema("subscriptions_retry"))
class SubscriptionRetryApi(_SubscriptionChangeApi):
    """Have the next renewal run (within a minute) retry a past-due charge."""

    change = retry_past_due_now
