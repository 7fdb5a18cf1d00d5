"""The payer directory: where billing learns how to write to a payer.

Billing keeps no name and no e-mail (`billing.models.Payer`); when it writes to a
payer it asks this port at send time. `payer_directory()` builds the implementation
that the `BILLING_PAYER_DIRECTORY` setting names by dotted path: the auth service's
gRPC client in every environment (`grpc_api.payer_directory.AuthServiceDirectory`), an
in-memory one (`InMemoryPayerDirectory`) in unit tests. The domain imports no
transport code: an implementation is only ever named in settings.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol, cast

from django.conf import settings
from django.utils.module_loading import import_string

from billing.errors import DomainError


@dataclass(frozen=True)
class PayerContact:
    """Where and how to write to a payer."""

    email: str
    name: str
    # A BCP 47 language tag, such as `ru` or `en-GB`.
    locale: str


class DirectoryUnavailable(DomainError):
    """The payer directory did not answer; asking again later may succeed."""

    code = "directory_unavailable"
    http_status = 503


class PayerDirectory(Protocol):
    def contact(self, payer_id: uuid.UUID) -> PayerContact | None:
        """The payer's contact; None when the directory knows no such active payer.

        :raises DirectoryUnavailable: when the directory cannot answer now.
        """


def payer_directory() -> PayerDirectory:
    """The directory `BILLING_PAYER_DIRECTORY` names, built with no arguments.

    Built on every call, so that a changed setting (in tests) takes effect; the
    implementations are cheap to build.
    """
    factory = cast(
        "Callable[[], PayerDirectory]", import_string(settings.BILLING_PAYER_DIRECTORY)
    )
    return factory()


class InMemoryPayerDirectory:
    """A directory held in this process, for tests: `add` contacts, script outages.

    Like Django's locmem e-mail backend, the state is on the class, so every
    instance that `payer_directory()` builds sees the same contacts.
    """

    contacts: ClassVar[dict[uuid.UUID, PayerContact]] = {}
    # Each call first takes one from here: True answers DirectoryUnavailable.
    outages: ClassVar[list[bool]] = []
    asked: ClassVar[list[uuid.UUID]] = []

    @classmethod
    def add(
        cls,
        payer_id: uuid.UUID,
        *,
        email: str,
        name: str = "",
        locale: str = "en",
    ) -> PayerContact:
        contact = PayerContact(email=email, name=name, locale=locale)
        cls.contacts[payer_id] = contact
        return contact

    @classmethod
    def fail_next(cls, times: int = 1) -> None:
        """Make the next `times` calls fail as an outage would."""
        cls.outages.extend([True] * times)

    @classmethod
    def reset(cls) -> None:
        cls.contacts.clear()
        cls.outages.clear()
        cls.asked.clear()

    def contact(self, payer_id: uuid.UUID) -> PayerContact | None:
        self.asked.append(payer_id)
        if self.outages and self.outages.pop(0):
            raise DirectoryUnavailable()
        return self.contacts.get(payer_id)
