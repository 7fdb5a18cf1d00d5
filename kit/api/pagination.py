"""The one pagination of the API's lists: limit/offset, 50 by default, 200 at most."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class ListPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200
