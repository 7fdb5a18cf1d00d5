"""What the support API shows of reconciliation: runs and discrepancies."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kit.api.audit import StatusChangeOutput
from payments.models import Discrepancy


class ReconciliationRunOutput(serializers.Serializer[Any]):
    """A gateway's reconciled day; `report` counts what the last pass found per
    kind, the money per currency (minor units) and the gateway's own totals."""

    id = serializers.IntegerField()
    gateway = serializers.CharField()
    day = serializers.DateField()
    status = serializers.CharField()
    passes = serializers.IntegerField()
    operations = serializers.IntegerField()
    settled = serializers.IntegerField()
    report = serializers.JSONField()
    error = serializers.CharField()
    started_by = serializers.CharField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class DiscrepancyOutput(serializers.Serializer[Any]):
    """A difference between a gateway's records and ours; the amount is the money
    in question."""

    id = serializers.IntegerField()
    gateway = serializers.CharField()
    day = serializers.DateField()
    kind = serializers.CharField()
    subject = serializers.CharField()
    payment_id = serializers.UUIDField(allow_null=True)
    refund_id = serializers.UUIDField(allow_null=True)
    gateway_reference = serializers.CharField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    amount = serializers.CharField(source="amount.format")
    reason = serializers.CharField()
    detected_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolved_by = serializers.CharField()
    resolution_note = serializers.CharField()


class DiscrepancyDetailOutput(DiscrepancyOutput):
    """With both sides' facts and the audit trail (`context["audit_trail"]`)."""

    theirs = serializers.JSONField()
    ours = serializers.JSONField()
    audit_trail = serializers.SerializerMethodField()

    @extend_schema_field(StatusChangeOutput(many=True))
    def get_audit_trail(self, row: Discrepancy) -> list[dict[str, Any]]:
        return list(StatusChangeOutput(self.context["audit_trail"], many=True).data)
