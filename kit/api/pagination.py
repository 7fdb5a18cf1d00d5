"""The one pagination of the API's lists: limit/offset, 50 by default, 200 at most."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView


class ListPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


def paginated_response(
    *,
    queryset: QuerySet[Any],
    output: type[BaseSerializer[Any]],
    request: Request,
    view: APIView,
) -> Response:
    """The page of `queryset` that `request` asks for, written by `output`, with the
    links to the pages around it (HackSoft's `get_paginated_response`)."""
    paginator = ListPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = output(page, many=True, context={"request": request}).data
    return paginator.get_paginated_response(data)
