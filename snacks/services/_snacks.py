"""The shelf: admins add snacks, change them and retire them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, Final

import redis
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction

from snacks import reaction_sets
from snacks.errors import (
    InvalidSnack,
    ReactionsUnavailable,
    SnackNotFound,
    SnackRetired,
)
from snacks.models import Snack

EDITABLE_FIELDS: Final = frozenset(
    {"name", "url", "description", "image", "amount_minor", "currency"}
)
_DUPLICATE_NAME: Final = {"name": ["A snack with this name already exists."]}


def create_snack(
    *,
    name: str,
    amount_minor: int,
    currency: str,
    url: str = "",
    description: str = "",
    image: File | None = None,
) -> Snack:
    """Put a new snack on the shelf.

    :raises InvalidSnack: when a field is invalid or the name is taken (in any case).
    """
    snack = Snack(
        name=name,
        url=url,
        description=description,
        amount_minor=amount_minor,
        currency=currency,
    )
    if image is not None:
        snack.image = image
    _save(snack, fields=None)
    return snack


def update_snack(*, snack_id: uuid.UUID, changes: Mapping[str, Any]) -> Snack:
    """Change the fields in `changes` (a subset of `EDITABLE_FIELDS`).

    :raises SnackNotFound: when no snack has the id.
    :raises SnackRetired: when the snack is retired.
    :raises InvalidSnack: when a field is invalid or the new name is taken.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise InvalidSnack(
            extra={"fields": {field: ["Cannot be changed."] for field in unknown}}
        )
    with transaction.atomic():
        snack = _locked(snack_id)
        if snack.is_retired:
            raise SnackRetired()
        for field, value in changes.items():
            setattr(snack, field, value)
        _save(snack, fields=set(changes))
    return snack


def retire_snack(*, snack_id: uuid.UUID, now: dt.datetime) -> Snack:
    """Take the snack off the shelf: it leaves the list and takes no reactions.

    Retiring a retired snack changes nothing. Toggles land only on the snacks
    Redis knows on sale, so the snack leaves those before the retirement commits.

    :raises SnackNotFound: when no snack has the id.
    :raises ReactionsUnavailable: when Redis does not answer (nothing changes).
    """
    with transaction.atomic():
        snack = _locked(snack_id)
        if not snack.is_retired:
            try:
                reaction_sets.forget_on_sale(snack_id)
            except redis.RedisError as exc:
                raise ReactionsUnavailable() from exc
            snack.retired_at = now
            snack.save(update_fields=["retired_at", "updated_at"])
    return snack


def _locked(snack_id: uuid.UUID) -> Snack:
    snack = Snack.objects.select_for_update().filter(id=snack_id).first()
    if snack is None:
        raise SnackNotFound(extra={"snack_id": str(snack_id)})
    return snack


def _save(snack: Snack, *, fields: set[str] | None) -> None:
    """Validate (only `fields` when given) and save, in the one error shape."""
    exclude = None if fields is None else EDITABLE_FIELDS - fields
    if fields is None or "name" in fields:
        taken = Snack.objects.filter(name__iexact=snack.name).exclude(pk=snack.pk)
        if taken.exists():
            raise InvalidSnack(extra={"fields": _DUPLICATE_NAME})
    try:
        snack.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise InvalidSnack(extra={"fields": exc.message_dict}) from exc
    try:
        # The unique index decides between two admins saving the same name at once.
        with transaction.atomic():
            if fields is None:
                snack.save()
            else:
                snack.save(update_fields=[*sorted(fields), "updated_at"])
    except IntegrityError as exc:
        raise InvalidSnack(extra={"fields": _DUPLICATE_NAME}) from exc
