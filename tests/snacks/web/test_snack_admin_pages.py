"""The admins' pages of the shelf: every snack, a new one, a change, a retirement."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import LazySettings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import User
from snacks.errors import InvalidSnack
from snacks.models import Snack
from snacks.web.snack_forms import SnackForm
from tests.snacks.factories import SnackFactory, png
from tests.snacks.web.pages import field_errors, page_text, signed_in
from tests.snacks.web.tables import table_rows

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

NOW = timezone.now()
MANAGE = "/shop/manage/snacks/"
NEW = f"{MANAGE}new/"


@pytest.fixture(autouse=True)
def _redis_away(settings: LazySettings) -> None:
    """No Redis here: the pages show the persisted reaction counts."""
    settings.SNACKS_REDIS_URL = "redis://127.0.0.1:1/0"


# Prices as typed, their currency, and what they become (minor units) ...
READ_PRICES = (
    "500|JPY|500",
    "500.0|JPY|500",
    "2.500|EUR|250",
    "0.001|BHD|1",
    " 12 |RUB|1200",
    ".5|EUR|50",
)
NOT_A_NUMBER = "Type the price as a number, such as 2.50."
# ... or the words next to the price field that refuse them.
REFUSED_PRICES = (
    "2.505|EUR|EUR prices have at most 2 decimals.",
    "500.5|JPY|JPY prices are whole numbers: type one without decimals.",
    "-1|EUR|A price cannot be negative.",
    "0|EUR|A price must be more than zero.",
    "0.00|EUR|A price must be more than zero.",
    f"two|EUR|{NOT_A_NUMBER}",
    f"1e3|EUR|{NOT_A_NUMBER}",
    f"NaN|EUR|{NOT_A_NUMBER}",
    f"2,50|EUR|{NOT_A_NUMBER}",
    "|EUR|This field is required.",
    "99999999999999999999|EUR|The price is too large.",
)


def _typed(**fields: Any) -> dict[str, Any]:
    snack = {"name": "Twix", "price": "2.50", "currency": "EUR", "url": ""}
    return {**snack, "description": "", **fields}


def _add(admin: User, **fields: Any) -> Response:
    return signed_in(admin).post(NEW, _typed(**fields))


def _bmp() -> SimpleUploadedFile:
    """A real picture in a format the shop does not serve, named as a PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="BMP")
    return SimpleUploadedFile("twix.png", buffer.getvalue(), content_type="image/png")


class TestEverySnack:
    def test_lists_snacks_on_sale_first_with_their_prices_and_reactions(
        self, admin: User
    ) -> None:
        SnackFactory.create(name="Zebra bar", amount_minor=250, currency="EUR")
        SnackFactory.create(name="apple chips", likes=3, hates=1)
        SnackFactory.create(name="Old crisps", retired_at=timezone.now())

        rows = table_rows(signed_in(admin).get(MANAGE).content, "snacks-table")

        assert rows[0] == ["Name", "Price", "Likes", "Hates", "Status", "Actions"]
        assert [row[:5] for row in rows[1:]] == [
            ["apple chips", "RUB 129.00", "3", "1", "on sale"],
            ["Zebra bar", "€2.50", "0", "0", "on sale"],
            ["Old crisps", "RUB 129.00", "0", "0", "retired"],
        ]
        assert rows[1][5] == "Edit apple chips Retire apple chips"
        assert rows[3][5] == "No changes"

    def test_links_each_snack_on_sale_to_its_change_and_its_retirement(
        self, admin: User
    ) -> None:
        snack = SnackFactory.create()

        content = signed_in(admin).get(MANAGE).content

        assert f'href="{MANAGE}{snack.id}/edit/"'.encode() in content
        assert f'action="{MANAGE}{snack.id}/retire/"'.encode() in content


class TestNewSnack:
    def test_the_form_has_a_label_for_every_field_and_takes_files(
        self, admin: User
    ) -> None:
        content = signed_in(admin).get(NEW).content

        assert b'enctype="multipart/form-data"' in content
        for name in ("name", "price", "currency", "url", "description", "image"):
            assert f'<label for="id_{name}">'.encode() in content
        assert b'<option value="JPY">JPY</option>' in content

    def test_adds_a_snack_with_its_picture_and_the_price_in_minor_units(
        self, admin: User
    ) -> None:
        browser = signed_in(admin)

        response = browser.post(
            NEW,
            _typed(
                url="https://snacks.example/twix",
                description="Caramel.",
                image=png(),
            ),
        )

        assert response.status_code == 302
        assert response["Location"] == MANAGE
        snack = Snack.objects.get()
        assert (snack.name, snack.amount_minor, snack.currency) == ("Twix", 250, "EUR")
        assert (snack.url, snack.description) == (
            "https://snacks.example/twix",
            "Caramel.",
        )
        assert str(snack.image.name).startswith("snacks/")
        assert "Twix is on the shelf." in page_text(browser.get(MANAGE).content)

    @pytest.mark.parametrize(
        ("price", "currency", "amount_minor"),
        [line.split("|") for line in READ_PRICES],
    )
    def test_reads_the_price_exactly_in_the_currencys_decimals(
        self, admin: User, price: str, currency: str, amount_minor: str
    ) -> None:
        _add(admin, price=price, currency=currency)

        snack = Snack.objects.get()
        assert (snack.amount_minor, snack.currency) == (int(amount_minor), currency)

    @pytest.mark.parametrize(
        ("price", "currency", "words"),
        [line.split("|") for line in REFUSED_PRICES],
    )
    def test_refuses_a_bad_price_next_to_it_keeping_what_was_typed(
        self, admin: User, price: str, currency: str, words: str
    ) -> None:
        response = _add(admin, name="Kept name", price=price, currency=currency)

        assert response.status_code == 200
        assert field_errors(response.content) == {"price": [words]}
        assert b'value="Kept name"' in response.content
        assert f'<option value="{currency}" selected>'.encode() in response.content
        if price:
            assert f'value="{price}"'.encode() in response.content
        assert b'aria-invalid="true"' in response.content
        assert not Snack.objects.exists()

    def test_refuses_an_unknown_currency(self, admin: User) -> None:
        response = _add(admin, currency="XXX")

        assert field_errors(response.content) == {
            "currency": [
                "Select a valid choice. XXX is not one of the available choices."
            ]
        }
        assert not Snack.objects.exists()

    def test_refuses_a_file_that_is_not_a_picture(self, admin: User) -> None:
        fake = SimpleUploadedFile(
            "twix.png", b"not a picture", content_type="image/png"
        )

        response = _add(admin, image=fake)

        assert field_errors(response.content) == {
            "image": ["The file is not a picture that can be read."]
        }
        assert not Snack.objects.exists()

    def test_refuses_a_picture_of_another_format(self, admin: User) -> None:
        response = _add(admin, image=_bmp())

        assert field_errors(response.content) == {
            "image": ["The image must be JPEG, PNG, WebP or GIF."]
        }
        assert not Snack.objects.exists()

    @pytest.mark.parametrize("typed", ["Twix", "TWIX", "twix"])
    def test_refuses_a_taken_name_in_any_case(self, admin: User, typed: str) -> None:
        SnackFactory.create(name="Twix")

        response = _add(admin, name=typed)

        assert field_errors(response.content) == {
            "name": ["A snack with this name already exists."]
        }
        assert Snack.objects.count() == 1

    def test_refuses_a_bad_address_and_missing_fields(self, admin: User) -> None:
        response = signed_in(admin).post(NEW, {"url": "not an address"})

        assert field_errors(response.content) == {
            "name": ["This field is required."],
            "price": ["This field is required."],
            "currency": ["This field is required."],
            "url": ["Enter a valid URL."],
        }


class TestServiceRefusalsOnTheForm:
    def test_the_services_price_fields_land_on_the_forms(self) -> None:
        form = SnackForm(_typed())
        form.is_valid()

        form.add_refusal(
            InvalidSnack(
                extra={
                    "fields": {
                        "amount_minor": ["Ensure this value is at least 1."],
                        "currency": ["XXX is not an active currency."],
                        "__all__": ["Something about the whole snack."],
                    }
                }
            )
        )

        assert form.errors == {
            "price": ["Ensure this value is at least 1."],
            "currency": ["XXX is not an active currency."],
            "__all__": ["Something about the whole snack."],
        }


class TestEditSnack:
    def test_the_form_holds_the_snack_as_it_is(self, admin: User) -> None:
        snack = SnackFactory.create(name="Mochi", amount_minor=500, currency="JPY")

        content = signed_in(admin).get(f"{MANAGE}{snack.id}/edit/").content

        assert b'value="Mochi"' in content
        assert b'value="500"' in content
        assert b'<option value="JPY" selected>' in content

    def test_changes_the_snack_and_keeps_its_picture(self, admin: User) -> None:
        snack = SnackFactory.create(name="Twix", image=png())
        picture = snack.image.name

        response = signed_in(admin).post(
            f"{MANAGE}{snack.id}/edit/",
            _typed(name="Twix Xtra", price="3.10", description="Bigger."),
        )

        assert response.status_code == 302
        snack.refresh_from_db()
        assert (snack.name, snack.amount_minor, snack.currency) == (
            "Twix Xtra",
            310,
            "EUR",
        )
        assert (snack.description, snack.image.name) == ("Bigger.", picture)

    def test_keeps_its_own_name_in_another_case(self, admin: User) -> None:
        snack = SnackFactory.create(name="Twix")

        signed_in(admin).post(f"{MANAGE}{snack.id}/edit/", _typed(name="TWIX"))

        snack.refresh_from_db()
        assert snack.name == "TWIX"

    def test_refuses_another_snacks_name_in_any_case(self, admin: User) -> None:
        SnackFactory.create(name="Mars")
        snack = SnackFactory.create(name="Twix")

        response = signed_in(admin).post(
            f"{MANAGE}{snack.id}/edit/", _typed(name="mARS")
        )

        assert field_errors(response.content) == {
            "name": ["A snack with this name already exists."]
        }
        snack.refresh_from_db()
        assert snack.name == "Twix"

    def test_refuses_a_bad_price_and_changes_nothing(self, admin: User) -> None:
        snack = SnackFactory.create(amount_minor=250, currency="EUR")

        response = signed_in(admin).post(
            f"{MANAGE}{snack.id}/edit/", _typed(price="2.505")
        )

        assert field_errors(response.content) == {
            "price": ["EUR prices have at most 2 decimals."]
        }
        snack.refresh_from_db()
        assert snack.amount_minor == 250

    def test_a_retired_snack_is_refused_in_words(self, admin: User) -> None:
        snack = SnackFactory.create(name="Old crisps", retired_at=timezone.now())
        browser = signed_in(admin)

        shown = browser.get(f"{MANAGE}{snack.id}/edit/")
        posted = browser.post(f"{MANAGE}{snack.id}/edit/", _typed(name="New crisps"))

        assert "a retired snack can no longer be changed" in page_text(shown.content)
        assert b'id="snack-form"' not in shown.content
        assert (
            "The snack is retired: nobody can react to it or change it any more."
            in page_text(posted.content)
        )
        snack.refresh_from_db()
        assert snack.name == "Old crisps"

    def test_an_unknown_snack_is_a_404_page(self, admin: User) -> None:
        response = signed_in(admin).get(
            f"{MANAGE}00000000-0000-0000-0000-000000000000/edit/"
        )

        assert response.status_code == 404
