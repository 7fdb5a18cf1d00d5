"""The shop's snacks over HTTP: the ranked shelf, the admins' changes to it, and
members' reactions. A snack id arrives as a plain path segment and is checked
here, so a malformed one is a 400 naming the field and an unknown one a 404.

List and create share a URL, as do read and change; each method is its own
operation with its own permission.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from kit.api.errors import error_responses
from kit.api.pagination import ListPagination
from kit.api.paths import path_parameter, path_uuid
from snacks import selectors, services
from snacks.api.base import TAGS, ShopApi
from snacks.api.serializers import (
    ReactionInput,
    ReactionOutput,
    SnackInput,
    SnackOutput,
)
from snacks.models import Snack

RANKING = (
    "Snacks on sale, best liked first: by the share of likes among reactions "
    "(7 likes / 3 hates, 70 %, ranks above 60 / 40, 60 %); equal shares rank the "
    "snack with more reactions first, then by name (regardless of case). A snack "
    "with no reactions counts as 1/2, so it ranks below every snack liked more "
    "than hated and above every snack hated more than liked, and below a snack "
    "with as many likes as hates. The order follows the persisted counts, which "
    "lag the live counts shown by at most the persist interval."
)


def _output(request: Request, snacks: list[Snack]) -> dict[str, Any]:
    return {
        "request": request,
        "reactions": selectors.snack_reactions(
            snacks, user_id=getattr(request.user, "pk", None)
        ),
    }


class SnackListApi(ShopApi):
    """The shelf (members), and a new snack on it (admins)."""

    admin_methods = frozenset({"POST"})
    pagination_class = ListPagination

    @extend_schema(
        operation_id="shop_snacks_list",
        tags=TAGS,
        summary="Snacks, ranked by likes",
        description=RANKING,
        responses={200: SnackOutput(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        paginator = ListPagination()
        page = paginator.paginate_queryset(
            selectors.ranked_snacks(), request, view=self
        )
        snacks = list(page or [])
        output: type[BaseSerializer[Any]] = SnackOutput
        data = output(snacks, many=True, context=_output(request, snacks)).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="shop_snacks_create",
        tags=TAGS,
        summary="Add a snack (admins)",
        description=(
            "Multipart with the picture (`image`: JPEG, PNG, WebP or GIF, at most "
            "2 MiB), or JSON without one. Names are unique regardless of case."
        ),
        request={"multipart/form-data": SnackInput, "application/json": SnackInput},
        responses={201: SnackOutput, **error_responses(400, 401, 403)},
    )
    def post(self, request: Request) -> Response:
        payload = SnackInput(data=request.data)
        payload.is_valid(raise_exception=True)
        snack = services.create_snack(**payload.validated_data)
        return Response(
            SnackOutput(snack, context=_output(request, [snack])).data, status=201
        )


class SnackDetailApi(ShopApi):
    """One snack (members), and a change to it (admins)."""

    admin_methods = frozenset({"PATCH"})
    http_method_names = ["get", "patch", "head", "options"]

    @extend_schema(
        operation_id="shop_snacks_retrieve",
        tags=TAGS,
        parameters=[path_parameter("snack_id")],
        responses={200: SnackOutput, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, snack_id: str) -> Response:
        snack = selectors.snack_get(snack_id=path_uuid(snack_id, "snack_id"))
        return Response(SnackOutput(snack, context=_output(request, [snack])).data)

    @extend_schema(
        operation_id="shop_snacks_update",
        tags=TAGS,
        summary="Change a snack (admins)",
        parameters=[path_parameter("snack_id")],
        request={
            "multipart/form-data": SnackInput(partial=True),
            "application/json": SnackInput(partial=True),
        },
        responses={200: SnackOutput, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request: Request, snack_id: str) -> Response:
        parsed_id = path_uuid(snack_id, "snack_id")
        payload = SnackInput(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        snack = services.update_snack(
            snack_id=parsed_id, changes=payload.validated_data
        )
        return Response(SnackOutput(snack, context=_output(request, [snack])).data)


class SnackRetireApi(ShopApi):
    """Take a snack off the shelf (admins)."""

    admin_methods = frozenset({"POST"})

    @extend_schema(
        operation_id="shop_snacks_retire",
        tags=TAGS,
        summary="Retire a snack (admins)",
        description=(
            "The snack leaves the list and takes no more reactions; its reactions "
            "are kept. Retiring it again changes nothing. 503 "
            "`reactions_unavailable` while the reaction counts cannot be reached "
            "(they must stop taking the snack's reactions first)."
        ),
        parameters=[path_parameter("snack_id")],
        request=None,
        responses={200: SnackOutput, **error_responses(400, 401, 403, 404, 503)},
    )
    def post(self, request: Request, snack_id: str) -> Response:
        snack = services.retire_snack(
            snack_id=path_uuid(snack_id, "snack_id"), now=timezone.now()
        )
        return Response(SnackOutput(snack, context=_output(request, [snack])).data)


class SnackReactionApi(ShopApi):
    """Like or hate a snack (members)."""

    @extend_schema(
        operation_id="shop_snacks_react",
        tags=TAGS,
        summary="Toggle a like or a hate",
        description=(
            "One reaction per member and snack: the same kind again takes it back, "
            "the other kind replaces it. Answers the member's reaction now and the "
            "live counts. 409 `snack_retired` for a retired snack; 503 "
            "`reactions_unavailable` while the counts cannot be reached."
        ),
        parameters=[path_parameter("snack_id")],
        request=ReactionInput,
        responses={
            200: ReactionOutput,
            **error_responses(400, 401, 403, 404, 409, 503),
        },
    )
    def post(self, request: Request, snack_id: str) -> Response:
        parsed_id = path_uuid(snack_id, "snack_id")
        payload = ReactionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        result = services.toggle_reaction(
            user_id=uuid.UUID(str(request.user.pk)),
            snack_id=parsed_id,
            kind=payload.validated_data["kind"],
            now=timezone.now(),
        )
        return Response(ReactionOutput(result).data)
