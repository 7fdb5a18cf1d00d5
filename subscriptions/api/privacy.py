"""Forgetting a payer at their request, over the support API (accounting only).

One service call (`forget_payer`): the payer's subscriptions are canceled now,
their cards revoked at the gateways, tokens and cryptograms dropped; invoices,
payments and the ledger stay. Asking again is harmless, and finishes a revocation
that a gateway outage interrupted (503 `gateway_unavailable`).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.clock import billing_now
from kit.actors import staff_actor
from kit.api.errors import error_responses
from kit.api.paths import path_parameter, path_uuid
from kit.api.permissions import IsAccountingStaff
from subscriptions.services import forget_payer


class ForgottenPayerOutput(serializers.Serializer[Any]):
    payer_id = serializers.UUIDField()
    forgotten_at = serializers.DateTimeField()
    newly_forgotten = serializers.BooleanField(
        help_text="false: an earlier request had forgotten the payer already."
    )
    subscriptions_canceled = serializers.IntegerField()
    cards_revoked = serializers.IntegerField(source="cards_retired")
    tokens_dropped = serializers.IntegerField(
        help_text="Tokens dropped by this request, once the gateway revoked the card."
    )


class PayerForgetApi(APIView):
    """Forget a payer (privacy request): cancel, revoke cards, drop the secrets,
    keep the books."""

    permission_classes = [IsAccountingStaff]

    @extend_schema_serializer(component_name="PayerForgetInput")
    class InputSerializer(serializers.Serializer[Any]):
        reason = serializers.CharField(
            max_length=200,
            help_text="Why (a ticket reference, say); kept in the audit trail only.",
        )

    @extend_schema(
        operation_id="payers_forget",
        tags=["payers"],
        parameters=[path_parameter("payer_id")],
        request=InputSerializer,
        responses={
            200: ForgottenPayerOutput,
            **error_responses(400, 403, 404, 409, 503),
        },
    )
    def post(self, request: Request, payer_id: str) -> Response:
        parsed = path_uuid(payer_id, "payer_id")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        forgotten = forget_payer(
            payer_id=parsed,
            now=billing_now(),
            actor=staff_actor(request),
            reason=serializer.validated_data["reason"],
        )
        return Response(ForgottenPayerOutput(forgotten).data)
