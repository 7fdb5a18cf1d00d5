"""Transaction lists: `payments/list` (a day, A3.9) and `v2/payments/list` (a period,
in pages of 100, oldest first; A3 table).

Both bisect into the store's creation-ordered index, so a page costs the same with
100,000 transactions as with ten. Refunds are transactions of their own and are
listed beside the payments.
"""

from __future__ import annotations

import datetime as dt
import itertools

from aiohttp import web

from gateway_sandbox.cloudpayments.params import BadRequest, Params
from gateway_sandbox.cloudpayments.processing import PaymentEngine
from gateway_sandbox.cloudpayments.transactions import STATUS_CODES, Status, Transaction
from gateway_sandbox.cloudpayments.transport import Answer, Endpoint

PAGE_SIZE = 100
# Fixed UTC offsets of the time zone codes the docs list for payments/list; the
# gateway does not apply daylight saving to them [INFERRED].
TIME_ZONES: dict[str, int] = {
    "HST": -10, "AKST": -9, "PST": -8, "MST": -7, "CST": -6, "EST": -5, "AST": -4,
    "BRT": -3, "UTC": 0, "GMT": 0, "CET": 1, "EET": 2, "MSK": 3, "AZT": 4, "AMT": 4,
    "SAMT": 4, "GET": 4, "TJT": 5, "YEKT": 5, "ALMT": 6, "NOVT": 7, "KRAT": 7,
    "HKT": 8, "IRKT": 8, "SGT": 8, "ULAT": 8, "YAKT": 9, "VLAT": 10, "SAKT": 11,
    "ANAT": 12,
}  # fmt: skip
_STATUS_NAMES = {status.value.lower(): status for status in Status}
_STATUS_BY_CODE = {code: status for status, code in STATUS_CODES.items()}


class TransactionLists:
    def __init__(self, engine: PaymentEngine) -> None:
        self._engine = engine

    def endpoints(self) -> dict[str, Endpoint]:
        return {
            "/payments/list": self.list_day,
            "/v2/payments/list": self.list_period,
        }

    async def list_day(self, params: Params, request: web.Request) -> Answer:
        text = params.required_text("Date")
        try:
            day = dt.date.fromisoformat(text[:10])
        except ValueError as exc:
            raise BadRequest("Invalid Date value") from exc
        start = dt.datetime.combine(day, dt.time(), tzinfo=_zone(params))
        self._engine.expire_authorizations()
        found = self._engine.store.created_between(start, start + dt.timedelta(days=1))
        return Answer(success=True, model=[t.as_model() for t in found])

    async def list_period(self, params: Params, request: web.Request) -> Answer:
        """One page of the transactions created from CreatedDateGte to CreatedDateLte.

        Both ends are included and compared to the second, as `CreatedDateIso` shows
        them; a page past the end is an empty list.
        """
        zone = _zone(params)
        start = _moment(params, "CreatedDateGte", zone).replace(microsecond=0)
        last = _moment(params, "CreatedDateLte", zone).replace(microsecond=0)
        if last < start:
            raise BadRequest("Invalid CreatedDateLte value: before CreatedDateGte")
        page_number = params.integer("PageNumber")
        if page_number is None:
            page_number = 1
        if page_number < 1:
            raise BadRequest("Invalid PageNumber value: pages start at 1")
        statuses = _statuses(params)
        self._engine.expire_authorizations()
        period = self._engine.store.created_between(
            start, last + dt.timedelta(seconds=1)
        )
        skip = (page_number - 1) * PAGE_SIZE
        page: list[Transaction]
        if statuses:
            # A status filter cannot bisect: it walks the period (not the store).
            matching = (t for t in period if t.status in statuses)
            page = list(itertools.islice(matching, skip, skip + PAGE_SIZE))
        else:
            page = list(period[skip : skip + PAGE_SIZE])
        return Answer(success=True, model=[t.as_model() for t in page])


def _zone(params: Params) -> dt.timezone:
    """`TimeZone` (or the SDK's `Timezone`: names match in any case), UTC by default.

    :raises BadRequest: for a code not in the docs' list.
    """
    code = (params.text("TimeZone") or "UTC").upper()
    if code not in TIME_ZONES:
        raise BadRequest("Invalid TimeZone value")
    return dt.timezone(dt.timedelta(hours=TIME_ZONES[code]))


def _moment(params: Params, name: str, zone: dt.timezone) -> dt.datetime:
    """An ISO date and time; without an offset it is read in `zone`.

    :raises BadRequest: when absent or not an ISO date and time.
    """
    text = params.required_text(name)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest(f"Invalid {name} value") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def _statuses(params: Params) -> frozenset[Status]:
    """`Statuses`: names (any case) or codes, as an array or one value.

    :raises BadRequest: for anything else.
    """
    value = params.raw("Statuses")
    if value is None:
        return frozenset()
    values = value if isinstance(value, list) else [value]
    found = set()
    for item in values:
        status = (
            _STATUS_NAMES.get(item.strip().lower())
            if isinstance(item, str)
            else _STATUS_BY_CODE.get(item)
            if isinstance(item, int) and not isinstance(item, bool)
            else None
        )
        if status is None:
            raise BadRequest(f"Invalid Statuses value: {item!r}")
        found.add(status)
    return frozenset(found)
