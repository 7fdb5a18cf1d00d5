"""The `subscriptions/*` endpoints of GATEWAYS.md A3.10."""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from gateway_sandbox.clock import SandboxClock
from gateway_sandbox.cloudpayments.api import currency_param
from gateway_sandbox.cloudpayments.intervals import CloudPaymentsInterval
from gateway_sandbox.cloudpayments.params import BadRequest, Params
from gateway_sandbox.cloudpayments.subscriptions import (
    SubscriptionBook,
    SubscriptionTerms,
)
from gateway_sandbox.cloudpayments.transport import Answer, Endpoint

# A StartDate computed as "now" by a client arrives a little late; that is not a
# start in the past.
START_DATE_GRACE = dt.timedelta(minutes=1)


def _start_date(params: Params, clock: SandboxClock) -> dt.datetime | None:
    """StartDate in UTC (a value without an offset is UTC, as the SDK sends it).

    :raises BadRequest: for a malformed date or one in the past.
    """
    text = params.text("StartDate")
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest("Invalid StartDate value") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    moment = moment.astimezone(dt.UTC).replace(microsecond=0)
    if moment < clock.now() - START_DATE_GRACE:
        raise BadRequest("StartDate must be in the future")
    return moment


def _positive(params: Params, name: str) -> int | None:
    value = params.integer(name)
    if value is not None and value <= 0:
        raise BadRequest(f"Invalid {name} value")
    return value


def _terms(params: Params, clock: SandboxClock, *, creating: bool) -> SubscriptionTerms:
    """:raises BadRequest: for a missing (on create) or malformed term."""
    interval_name = params.text("Interval")
    interval = (
        CloudPaymentsInterval.parse(interval_name)
        if interval_name is not None
        else None
    )
    if interval_name is not None and interval is None:
        raise BadRequest("Invalid Interval value")
    receipt = params.raw("CustomerReceipt")
    terms = SubscriptionTerms(
        description=params.text("Description", required=creating),
        email=params.text("Email"),
        amount=params.amount() if creating or params.has("Amount") else None,
        currency=currency_param(params) if creating or params.has("Currency") else None,
        require_confirmation=params.boolean("RequireConfirmation"),
        start_at=_start_date(params, clock),
        interval=interval,
        period=_positive(params, "Period"),
        max_periods=_positive(params, "MaxPeriods"),
        receipt=receipt if isinstance(receipt, dict) else None,
    )
    if creating:
        for name, value in (
            ("StartDate", terms.start_at),
            ("Interval", terms.interval),
            ("Period", terms.period),
        ):
            if value is None:
                raise BadRequest(f"{name} is required")
    return terms


class SubscriptionsApi:
    def __init__(self, book: SubscriptionBook, clock: SandboxClock) -> None:
        self._book = book
        self._clock = clock

    def endpoints(self) -> dict[str, Endpoint]:
        return {
            "/subscriptions/create": self.create,
            "/subscriptions/get": self.get,
            "/subscriptions/find": self.find,
            "/subscriptions/update": self.update,
            "/subscriptions/cancel": self.cancel,
        }

    async def create(self, params: Params, request: web.Request) -> Answer:
        token = params.required_text("Token")
        account_id = params.required_text("AccountId")
        terms = _terms(params, self._clock, creating=True)
        subscription = self._book.create(
            token=token, account_id=account_id, terms=terms
        )
        return Answer(success=True, model=subscription.as_model())

    async def get(self, params: Params, request: web.Request) -> Answer:
        subscription = self._book.get(params.required_text("Id"))
        return Answer(success=True, model=subscription.as_model())

    async def find(self, params: Params, request: web.Request) -> Answer:
        found = self._book.for_account(params.required_text("AccountId"))
        return Answer(success=True, model=[s.as_model() for s in found])

    async def update(self, params: Params, request: web.Request) -> Answer:
        subscription_id = params.required_text("Id")
        terms = _terms(params, self._clock, creating=False)
        subscription = self._book.update(subscription_id, terms)
        return Answer(success=True, model=subscription.as_model())

    async def cancel(self, params: Params, request: web.Request) -> Answer:
        self._book.cancel(params.required_text("Id"))
        return Answer(success=True)
