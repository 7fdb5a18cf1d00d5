"""The shop's snack API: members read the ranked shelf and react with their JWT;
admins add, change and retire snacks. Every refusal is in the one error shape."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from snacks.images import MAX_IMAGE_BYTES
from snacks.models import Snack
from snacks.services import persist_reactions
from tests.accounts.factories import UserFactory
from tests.snacks.factories import SnackFactory, png
from tests.snacks.order_api import shop_client

pytestmark = pytest.mark.django_db

SNACKS = "/api/v1/shop/snacks/"


@pytest.fixture
def member() -> APIClient:
    return shop_client(UserFactory.create())


@pytest.fixture
def admin() -> APIClient:
    return shop_client(UserFactory.create(shop_admin=True))


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "extra"}
    assert body["code"] == code
    return body


def _new_snack(**fields: Any) -> dict[str, Any]:
    return {"name": "Twix", "amount_minor": "9900", "currency": "RUB", **fields}


@pytest.mark.redis
@pytest.mark.usefixtures("reaction_redis")
class TestSnackList:
    def test_members_see_the_shelf_ranked(self, member: APIClient) -> None:
        SnackFactory.create(name="Sixty", likes=60, hates=40)
        SnackFactory.create(name="Seven", likes=7, hates=3)
        SnackFactory.create(name="Gone", retired_at="2026-01-01T00:00:00Z")

        response = member.get(SNACKS)

        assert response.status_code == 200
        body = response.json()
        assert [row["name"] for row in body["results"]] == ["Seven", "Sixty"]
        assert body["count"] == 2
        # Redis has no sets yet (it came back empty): the persisted counts.
        assert body["results"][0]["likes"] == 7

    def test_is_paginated(self, member: APIClient) -> None:
        SnackFactory.create_batch(3)

        response = member.get(SNACKS, {"limit": 2})

        assert len(response.json()["results"]) == 2
        assert response.json()["next"] is not None

    def test_refuses_anonymous_callers(self) -> None:
        _error(shop_client(None).get(SNACKS), 401, "not_authenticated")

    def test_refuses_a_forged_token(self) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")

        _error(client.get(SNACKS), 401, "token_not_valid")


class TestSnackCreate:
    def test_admins_add_a_snack_with_its_picture(self, admin: APIClient) -> None:
        response = admin.post(
            SNACKS, _new_snack(image=png(), url="https://snacks.example/twix")
        )

        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["name"], body["amount_minor"], body["currency"]) == (
            "Twix",
            9900,
            "RUB",
        )
        assert body["image"].startswith("http://testserver/media/snacks/")
        assert Snack.objects.filter(name="Twix").exists()

    def test_members_may_not(self, member: APIClient) -> None:
        _error(member.post(SNACKS, _new_snack()), 403, "permission_denied")

        assert not Snack.objects.exists()

    def test_refuses_a_picture_over_the_size_limit(self, admin: APIClient) -> None:
        buffer = io.BytesIO()
        Image.effect_noise((1200, 1200), 100).convert("RGB").save(buffer, "PNG")
        assert buffer.tell() > MAX_IMAGE_BYTES
        upload = SimpleUploadedFile("big.png", buffer.getvalue(), "image/png")

        body = _error(
            admin.post(SNACKS, _new_snack(image=upload)), 400, "validation_error"
        )

        assert "image" in body["extra"]["fields"]

    def test_refuses_a_file_that_is_not_a_picture(self, admin: APIClient) -> None:
        upload = SimpleUploadedFile("fake.png", b"GIF89a but not", "image/png")

        body = _error(
            admin.post(SNACKS, _new_snack(image=upload)), 400, "validation_error"
        )

        assert "image" in body["extra"]["fields"]

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"amount_minor": "-100"}, "amount_minor"),
            ({"amount_minor": "0"}, "amount_minor"),
            ({"amount_minor": "1.5"}, "amount_minor"),
            ({"currency": "XXZ"}, "currency"),
            ({"currency": "rub"}, "currency"),
            ({"name": ""}, "name"),
            ({"url": "not a url"}, "url"),
        ],
    )
    def test_refuses_an_invalid_field(
        self, admin: APIClient, fields: dict[str, str], field: str
    ) -> None:
        body = _error(admin.post(SNACKS, _new_snack(**fields)), 400, "validation_error")

        assert field in body["extra"]["fields"]
        assert not Snack.objects.exists()

    def test_refuses_a_name_taken_in_another_case(self, admin: APIClient) -> None:
        SnackFactory.create(name="Twix")

        body = _error(
            admin.post(SNACKS, _new_snack(name="TWIX")), 400, "validation_error"
        )

        assert body["extra"]["fields"] == {
            "name": ["A snack with this name already exists."]
        }

    def test_takes_json_without_a_picture(self, admin: APIClient) -> None:
        response = admin.post(SNACKS, _new_snack(amount_minor=100), format="json")

        assert response.status_code == 201
        assert response.json()["image"] is None


class TestSnackDetailAndUpdate:
    def test_members_read_a_snack(self, member: APIClient) -> None:
        snack = SnackFactory.create(name="Mars")

        response = member.get(f"{SNACKS}{snack.id}/")

        assert response.json()["name"] == "Mars"

    def test_answers_404_for_an_unknown_snack(self, member: APIClient) -> None:
        _error(member.get(f"{SNACKS}{uuid.uuid4()}/"), 404, "not_found")

    def test_answers_400_for_a_malformed_id(self, member: APIClient) -> None:
        _error(member.get(f"{SNACKS}42/"), 400, "validation_error")

    def test_admins_change_the_price(self, admin: APIClient) -> None:
        snack = SnackFactory.create(amount_minor=100)

        response = admin.patch(
            f"{SNACKS}{snack.id}/", {"amount_minor": 250}, format="json"
        )

        assert response.json()["amount_minor"] == 250
        snack.refresh_from_db()
        assert snack.amount_minor == 250

    def test_members_may_not_change_a_snack(self, member: APIClient) -> None:
        snack = SnackFactory.create()

        _error(
            member.patch(f"{SNACKS}{snack.id}/", {"name": "Mine"}, format="json"),
            403,
            "permission_denied",
        )

    def test_refuses_to_change_a_retired_snack(self, admin: APIClient) -> None:
        snack = SnackFactory.create(retired_at="2026-01-01T00:00:00Z")

        _error(
            admin.patch(f"{SNACKS}{snack.id}/", {"name": "New"}, format="json"),
            409,
            "snack_retired",
        )


class TestSnackRetire:
    def test_admins_retire_a_snack(self, admin: APIClient) -> None:
        snack = SnackFactory.create()

        response = admin.post(f"{SNACKS}{snack.id}/retire/")

        assert response.json()["retired_at"] is not None
        assert admin.get(SNACKS).json()["count"] == 0

    def test_members_may_not(self, member: APIClient) -> None:
        snack = SnackFactory.create()

        _error(member.post(f"{SNACKS}{snack.id}/retire/"), 403, "permission_denied")


@pytest.mark.redis
@pytest.mark.usefixtures("reaction_redis")
class TestSnackReaction:
    def test_answers_the_members_reaction_and_the_counts(
        self, member: APIClient
    ) -> None:
        snack = SnackFactory.create()
        url = f"{SNACKS}{snack.id}/reaction/"

        liked = member.post(url, {"kind": "like"}, format="json")
        switched = member.post(url, {"kind": "hate"}, format="json")
        taken_back = member.post(url, {"kind": "hate"}, format="json")

        assert liked.json() == {
            "snack_id": str(snack.id),
            "reaction": "like",
            "likes": 1,
            "hates": 0,
        }
        assert (switched.json()["reaction"], switched.json()["hates"]) == ("hate", 1)
        assert taken_back.json()["reaction"] is None

    def test_the_list_shows_the_live_counts_and_the_members_reaction(
        self, member: APIClient
    ) -> None:
        snack = SnackFactory.create()
        member.post(f"{SNACKS}{snack.id}/reaction/", {"kind": "like"}, format="json")

        row = member.get(SNACKS).json()["results"][0]

        assert (row["likes"], row["hates"], row["reaction"]) == (1, 0, "like")

    def test_the_ranking_follows_once_persisted(self, member: APIClient) -> None:
        first, second = SnackFactory.create(name="A"), SnackFactory.create(name="B")
        member.post(f"{SNACKS}{second.id}/reaction/", {"kind": "like"}, format="json")
        member.post(f"{SNACKS}{first.id}/reaction/", {"kind": "hate"}, format="json")

        persist_reactions(now=first.created_at)

        names = [row["name"] for row in member.get(SNACKS).json()["results"]]
        assert names == ["B", "A"]

    @pytest.mark.parametrize("body", [{"kind": "love"}, {}, {"kind": None}])
    def test_refuses_an_unknown_kind(
        self, member: APIClient, body: dict[str, Any]
    ) -> None:
        snack = SnackFactory.create()

        _error(
            member.post(f"{SNACKS}{snack.id}/reaction/", body, format="json"),
            400,
            "validation_error",
        )

    def test_refuses_a_retired_snack(self, member: APIClient) -> None:
        snack = SnackFactory.create(retired_at="2026-01-01T00:00:00Z")

        _error(
            member.post(
                f"{SNACKS}{snack.id}/reaction/", {"kind": "like"}, format="json"
            ),
            409,
            "snack_retired",
        )

    def test_refuses_anonymous_callers(self) -> None:
        snack = SnackFactory.create()

        _error(
            shop_client(None).post(f"{SNACKS}{snack.id}/reaction/", {"kind": "like"}),
            401,
            "not_authenticated",
        )


class TestWithoutRedis:
    def test_a_toggle_answers_503_in_the_error_shape(
        self, member: APIClient, settings: Any
    ) -> None:
        settings.SNACKS_REDIS_URL = "redis://127.0.0.1:1/0"
        snack = SnackFactory.create()

        _error(
            member.post(
                f"{SNACKS}{snack.id}/reaction/", {"kind": "like"}, format="json"
            ),
            503,
            "reactions_unavailable",
        )

    def test_retiring_answers_503_and_keeps_the_snack_on_sale(
        self, admin: APIClient, settings: Any
    ) -> None:
        settings.SNACKS_REDIS_URL = "redis://127.0.0.1:1/0"
        snack = SnackFactory.create()

        _error(admin.post(f"{SNACKS}{snack.id}/retire/"), 503, "reactions_unavailable")
        snack.refresh_from_db()
        assert snack.retired_at is None

    def test_the_list_shows_the_persisted_counts(
        self, member: APIClient, settings: Any
    ) -> None:
        settings.SNACKS_REDIS_URL = "redis://127.0.0.1:1/0"
        SnackFactory.create(likes=3, hates=1)

        row = member.get(SNACKS).json()["results"][0]

        assert (row["likes"], row["hates"]) == (3, 1)
