"""Finding the payment a use case acts on, or the one a gateway event names.

An event names a payment by our reference (`payment:<id>`), else by the gateway's.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Final, Protocol

from django.db.models import Q

from billing.errors import NotFound
from payments.models import Payment


class PaymentNotFound(NotFound):
    """No such payment."""

    code = "payment_not_found"


def get_payment(payment_id: uuid.UUID) -> Payment:
    """:raises PaymentNotFound:"""
    try:
        return Payment.objects.select_related("payer").get(id=payment_id)
    except Payment.DoesNotExist:
        raise PaymentNotFound(extra={"payment": str(payment_id)}) from None


_REFERENCE_PREFIX: Final = "payment:"


def payment_named_by(
    *,
    gateway: str,
    reference: str | None,
    gateway_reference: str | None = None,
    lock: bool = False,
) -> Payment | None:
    """The payment an event names: by our reference, else by the gateway's."""
    payments = Payment.objects.filter(gateway=gateway)
    if lock:
        payments = payments.select_for_update()
    payment_id = _payment_id(reference)
    if payment_id is not None:
        found = payments.filter(id=payment_id).first()
        if found is not None:
            return found
    if gateway_reference:
        return payments.filter(gateway_reference=gateway_reference).first()
    return None


class NamesAPayment(Protocol):
    """A gateway's message about a payment: an event, or its record of one."""

    @property
    def reference(self) -> str | None: ...

    @property
    def gateway_reference(self) -> str | None: ...


class PaymentsNamed:
    """The payments that many events name, read in one query (`find` them)."""

    def __init__(self, payments: Iterable[Payment]) -> None:
        self._by_id = {payment.id: payment for payment in payments}
        self._by_reference = {
            (payment.gateway, payment.gateway_reference): payment
            for payment in self._by_id.values()
            if payment.gateway_reference
        }

    @classmethod
    def of(
        cls,
        named: Iterable[tuple[str, NamesAPayment]],
        *,
        lock: bool = False,
        only: tuple[str, ...] = (),
    ) -> PaymentsNamed:
        """Every payment that these (gateway, event) pairs may name.

        With `lock`, the rows are locked in id order, whatever order the events
        came in, so that two callers never wait for each other in a circle. `only`
        names the columns to read (all when empty).
        """
        ids: defaultdict[str, set[uuid.UUID]] = defaultdict(set)
        references: defaultdict[str, set[str]] = defaultdict(set)
        for gateway, event in named:
            if (payment_id := _payment_id(event.reference)) is not None:
                ids[gateway].add(payment_id)
            if event.gateway_reference:
                references[gateway].add(event.gateway_reference)
        wanted = Q()
        for gateway in ids.keys() | references.keys():
            wanted |= Q(gateway=gateway) & (
                Q(id__in=ids[gateway]) | Q(gateway_reference__in=references[gateway])
            )
        if not wanted:
            return cls([])
        payments = Payment.objects.filter(wanted).order_by("id")
        if only:
            payments = payments.only("gateway", "gateway_reference", *only)
        if lock:
            payments = payments.select_for_update()
        return cls(payments)

    def find(self, gateway: str, event: NamesAPayment) -> Payment | None:
        """The payment `event` names among these, as `payment_named_by` finds it."""
        payment_id = _payment_id(event.reference)
        found = self._by_id.get(payment_id) if payment_id is not None else None
        if found is not None and found.gateway == gateway:
            return found
        if event.gateway_reference:
            return self._by_reference.get((gateway, event.gateway_reference))
        return None


def _payment_id(reference: str | None) -> uuid.UUID | None:
    """The payment id in our reference (the inverse of `gateway_reference_of`)."""
    if not reference or not reference.startswith(_REFERENCE_PREFIX):
        return None
    try:
        return uuid.UUID(reference.removeprefix(_REFERENCE_PREFIX))
    except ValueError:
        return None
