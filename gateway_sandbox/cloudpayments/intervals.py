"""The periods of a gateway-run subscription: Day, Week or Month (GATEWAYS.md A3.10)."""

from __future__ import annotations

import calendar
import datetime as dt
import enum


class CloudPaymentsInterval(enum.StrEnum):
    WEEK = "Week"
    MONTH = "Month"
    DAY = "Day"

    @property
    def code(self) -> int:
        # Day=2 [DOC], Month=1 [SDK tests], Week=0 [INFERRED].
        return {
            CloudPaymentsInterval.WEEK: 0,
            CloudPaymentsInterval.MONTH: 1,
            CloudPaymentsInterval.DAY: 2,
        }[self]

    @classmethod
    def parse(cls, name: str) -> CloudPaymentsInterval | None:
        return next((i for i in cls if i.value.lower() == name.strip().lower()), None)


def add_intervals(
    start: dt.datetime, interval: CloudPaymentsInterval, count: int
) -> dt.datetime:
    """`start` moved by `count` intervals; months keep the start's day where they can.

    Counting from the start rather than from the previous date keeps a subscription
    started on the 31st on the 31st after a short month instead of drifting to the 28th.
    """
    if interval is CloudPaymentsInterval.DAY:
        return start + dt.timedelta(days=count)
    if interval is CloudPaymentsInterval.WEEK:
        return start + dt.timedelta(weeks=count)
    months = start.month - 1 + count
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)
