"""The support screens' search: an exact id or gateway reference."""

from __future__ import annotations

import uuid

from django.db.models import Q


def search_term(term: str, *id_fields: str) -> Q:
    """Rows whose gateway reference is `term`, or, when it is a UUID, one of whose
    `id_fields` it is."""
    term = term.strip()
    match = Q(gateway_reference=term)
    try:
        as_uuid = uuid.UUID(term)
    except ValueError:
        return match
    for name in id_fields:
        match |= Q(**{name: as_uuid})
    return match
