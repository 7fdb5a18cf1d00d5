"""Admins put snacks on the shelf, change them and retire them."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django.fixtures import Settings

from snacks import selectors
from snacks.errors import (
    InvalidSnack,
    ReactionsUnavailable,
    SnackNotFound,
    SnackRetired,
)
from snacks.images import MAX_IMAGE_BYTES
from snacks.services import create_snack, retire_snack, update_snack
from tests.snacks.factories import SnackFactory, png

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _fields(error: pytest.ExceptionInfo[InvalidSnack]) -> dict[str, object]:
    fields = error.value.extra["fields"]
    assert isinstance(fields, dict)
    return fields


class TestCreateSnack:
    def test_stores_the_snack_with_its_picture(self) -> None:
        snack = create_snack(
            name="Twix", amount_minor=9_900, currency="RUB", image=png()
        )

        stored = selectors.snack_get(snack_id=snack.id)
        assert (stored.name, stored.amount_minor, stored.currency) == (
            "Twix",
            9_900,
            "RUB",
        )
        assert str(stored.image.name).startswith("snacks/")

    def test_refuses_a_name_taken_in_another_case(self) -> None:
        SnackFactory.create(name="Twix")

        with pytest.raises(InvalidSnack) as error:
            create_snack(name="TWIX", amount_minor=1, currency="RUB")

        assert _fields(error) == {"name": ["A snack with this name already exists."]}

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"amount_minor": 0}, "amount_minor"),
            ({"currency": "XYZ"}, "currency"),
            ({"currency": "rub"}, "currency"),
        ],
    )
    def test_refuses_an_invalid_field(
        self, fields: dict[str, object], field: str
    ) -> None:
        arguments: dict[str, object] = {
            "name": "Mars",
            "amount_minor": 100,
            "currency": "RUB",
            **fields,
        }

        with pytest.raises(InvalidSnack) as error:
            create_snack(**arguments)  # type: ignore[arg-type]

        assert field in _fields(error)

    def test_refuses_a_file_that_is_not_a_picture(self) -> None:
        upload = SimpleUploadedFile("evil.png", b"<?php ?>", content_type="image/png")

        with pytest.raises(InvalidSnack) as error:
            create_snack(name="Mars", amount_minor=1, currency="RUB", image=upload)

        assert "image" in _fields(error)

    def test_refuses_a_picture_over_the_size_limit(self) -> None:
        upload = png()
        upload.size = MAX_IMAGE_BYTES + 1

        with pytest.raises(InvalidSnack) as error:
            create_snack(name="Mars", amount_minor=1, currency="RUB", image=upload)

        assert "image" in _fields(error)


class TestUpdateSnack:
    def test_changes_only_the_given_fields(self) -> None:
        snack = SnackFactory.create(name="Mars", amount_minor=100)

        update_snack(snack_id=snack.id, changes={"amount_minor": 150})

        stored = selectors.snack_get(snack_id=snack.id)
        assert (stored.name, stored.amount_minor) == ("Mars", 150)

    def test_refuses_the_name_of_another_snack(self) -> None:
        SnackFactory.create(name="Bounty")
        snack = SnackFactory.create(name="Mars")

        with pytest.raises(InvalidSnack):
            update_snack(snack_id=snack.id, changes={"name": "bounty"})

        assert selectors.snack_get(snack_id=snack.id).name == "Mars"

    def test_keeps_a_name_changed_only_in_case(self) -> None:
        snack = SnackFactory.create(name="Mars")

        update_snack(snack_id=snack.id, changes={"name": "MARS"})

        assert selectors.snack_get(snack_id=snack.id).name == "MARS"

    def test_refuses_a_retired_snack(self) -> None:
        snack = SnackFactory.create(retired_at=NOW)

        with pytest.raises(SnackRetired):
            update_snack(snack_id=snack.id, changes={"amount_minor": 1})

    def test_refuses_an_unknown_snack(self) -> None:
        with pytest.raises(SnackNotFound):
            update_snack(snack_id=uuid.uuid4(), changes={"amount_minor": 1})


class TestRetireSnack:
    def test_takes_the_snack_off_the_list(self) -> None:
        kept, retired = SnackFactory.create(), SnackFactory.create()

        retire_snack(snack_id=retired.id, now=NOW)

        assert list(selectors.ranked_snacks()) == [kept]
        assert selectors.snack_get(snack_id=retired.id).retired_at == NOW

    def test_is_refused_while_redis_cannot_forget_the_snack(
        self, settings: Settings
    ) -> None:
        """Reactions land only on snacks Redis knows on sale: it must be told."""
        snack = SnackFactory.create()
        settings.SNACKS_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens

        with pytest.raises(ReactionsUnavailable):
            retire_snack(snack_id=snack.id, now=NOW)

        assert selectors.snack_get(snack_id=snack.id).retired_at is None

    def test_retiring_again_keeps_the_first_date(self) -> None:
        snack = SnackFactory.create(retired_at=NOW)

        retire_snack(snack_id=snack.id, now=NOW + dt.timedelta(days=1))

        assert selectors.snack_get(snack_id=snack.id).retired_at == NOW
