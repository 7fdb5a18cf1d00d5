"""The web process serves the static files and the snack pictures itself, in every
settings (production has no other file server), and nothing else of MEDIA_ROOT."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from tests.snacks.factories import OrderFactory, SnackFactory, png

pytestmark = pytest.mark.django_db


def _body(response: object) -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_serves_the_apps_static_files_without_collectstatic() -> None:
    for path in ("/static/shop/shop.css", "/static/admin/css/base.css"):
        response = Client().get(path)

        assert response.status_code == 200, path
        assert _body(response)


def test_answers_an_unknown_static_file_with_404() -> None:
    assert Client().get("/static/shop/nothing-here.css").status_code == 404


def test_serves_a_snack_picture() -> None:
    snack = SnackFactory.create(image=png(name="crisps.png"))

    response = Client().get(snack.image.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert _body(response).startswith(b"\x89PNG")


def test_serves_no_order_invoice_from_media() -> None:
    order = OrderFactory.create()
    order.invoice_pdf.save(f"order-{order.id}.pdf", ContentFile(b"%PDF-1.4"))

    client = Client(raise_request_exception=False)

    assert client.get(order.invoice_pdf.url).status_code == 404
    for escape in ("..", "%2e%2e"):
        path = f"/media/snacks/{escape}/{order.invoice_pdf.name}"
        # Django refuses a path out of the folder as a suspicious request.
        assert client.get(path).status_code in (400, 404), path
