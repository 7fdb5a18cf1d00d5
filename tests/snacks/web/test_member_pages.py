"""The admins' pages of the shop: who may open them, and the members' page."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.conf import LazySettings
from django.test import Client
from django.utils import timezone

from accounts.models import ShopRole, User
from tests.accounts.factories import UserFactory
from tests.snacks.factories import SnackFactory
from tests.snacks.web.pages import field_errors, page_text, signed_in
from tests.snacks.web.tables import table_rows

pytestmark = pytest.mark.django_db

MEMBERS = "/shop/members/"
NOBODY = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(autouse=True)
def _redis_away(settings: LazySettings) -> None:
    """No Redis here: the pages show the persisted reaction counts."""
    settings.SNACKS_REDIS_URL = "redis://127.0.0.1:1/0"


def _joined(days_ago: int, **fields: object) -> User:
    return UserFactory.create(
        date_joined=timezone.now() - dt.timedelta(days=days_ago), **fields
    )


def _promote(browser: Client, member: User, **back: str) -> str:
    response = browser.post(f"{MEMBERS}{member.id}/promote/", back)
    assert response.status_code == 302
    return str(response["Location"])


class TestWhoMayOpenTheAdminPages:
    ADMIN_PAGES = (
        "/shop/members/",
        "/shop/manage/snacks/",
        "/shop/manage/snacks/new/",
        "/shop/manage/snacks/{snack}/edit/",
        "/shop/manage/snacks/{snack}/retire/",
        "/shop/statistics/",
    )

    @pytest.mark.parametrize("address", ADMIN_PAGES)
    def test_a_member_gets_a_403_page_saying_why(
        self, member: User, address: str
    ) -> None:
        snack = SnackFactory.create()

        response = signed_in(member).get(address.format(snack=snack.id))

        assert response.status_code == 403
        assert "Only an admin of the shop may open this page." in page_text(
            response.content
        )

    @pytest.mark.parametrize(
        "address",
        [
            "/shop/members/{member}/promote/",
            "/shop/manage/snacks/new/",
            "/shop/manage/snacks/{snack}/edit/",
            "/shop/manage/snacks/{snack}/retire/",
        ],
    )
    def test_a_members_posts_change_nothing(self, member: User, address: str) -> None:
        snack = SnackFactory.create(name="Kept")
        other = UserFactory.create()

        response = signed_in(member).post(
            address.format(snack=snack.id, member=other.id),
            {"name": "Changed", "price": "1", "currency": "EUR", "confirm": "on"},
        )

        assert response.status_code == 403
        other.refresh_from_db()
        snack.refresh_from_db()
        assert (other.role, snack.name, snack.retired_at) == (
            ShopRole.MEMBER,
            "Kept",
            None,
        )

    @pytest.mark.parametrize("address", ADMIN_PAGES)
    def test_a_visitor_is_sent_to_sign_in(self, client: Client, address: str) -> None:
        path = address.format(snack=NOBODY)

        response = client.get(path)

        assert response["Location"] == f"/shop/sign-in/?next={path}"

    def test_the_navigation_links_the_admin_pages_for_admins_only(
        self, member: User, admin: User
    ) -> None:
        links = (b'href="/shop/members/"', b'href="/shop/manage/snacks/"')

        for link in links:
            assert link in signed_in(admin).get("/shop/").content
            assert link not in signed_in(member).get("/shop/").content


class TestMembersPage:
    def test_lists_active_members_the_earliest_joined_first(self, admin: User) -> None:
        _joined(3, name="Bea Later", email="bea@example.com")
        _joined(5, name="Ann Early", email="ann@example.com")
        _joined(4, name="Gone", resigned=True)

        rows = table_rows(signed_in(admin).get(MEMBERS).content, "members-table")

        assert rows[0] == ["Name", "E-mail", "Role", "Joined", "Action"]
        names = [row[0] for row in rows[1:]]
        assert names == ["Ann Early", "Bea Later", "—"]  # the admin joined now
        ann = rows[1]
        assert ann[1:3] == ["ann@example.com", "Member"]
        assert ann[4] == "Make admin Ann Early (ann@example.com)"
        assert rows[3][2:] == [
            "Admin",
            timezone.localdate().strftime("%-d %b %Y"),
            "Admin",
        ]

    def test_finds_members_by_part_of_the_email_or_name_in_any_case(
        self, admin: User
    ) -> None:
        _joined(2, name="Nina Newcomer", email="nina@example.com")
        _joined(1, name="Oscar", email="oscar@snacks.example")

        browser = signed_in(admin)
        by_name = page_text(browser.get(MEMBERS, {"search": "NEWCOM"}).content)
        by_email = page_text(browser.get(MEMBERS, {"search": "snacks.exam"}).content)

        assert "nina@example.com" in by_name
        assert "oscar@snacks.example" not in by_name
        assert "oscar@snacks.example" in by_email
        assert "nina@example.com" not in by_email

    def test_filters_by_role(self, admin: User) -> None:
        _joined(2, email="plain@example.com")
        _joined(1, email="boss@example.com", shop_admin=True)

        text = page_text(signed_in(admin).get(MEMBERS, {"role": "admin"}).content)

        assert "boss@example.com" in text
        assert "plain@example.com" not in text

    def test_an_unknown_role_is_ignored_with_its_reason(self, admin: User) -> None:
        response = signed_in(admin).get(MEMBERS, {"role": "owner"})

        assert response.status_code == 200
        assert field_errors(response.content)["role"] == [
            "Select a valid choice. owner is not one of the available choices."
        ]
        assert admin.email in page_text(response.content)

    def test_says_when_nobody_matches(self, admin: User) -> None:
        response = signed_in(admin).get(MEMBERS, {"search": "nobody-here"})

        assert "No active member matches." in page_text(response.content)

    def test_pages_keep_the_filters(self, admin: User) -> None:
        for day in range(51):
            _joined(100 - day, name=f"Snacker {day}")

        browser = signed_in(admin)
        first = browser.get(MEMBERS, {"search": "snacker", "role": "member"})
        second = browser.get(
            MEMBERS, {"search": "snacker", "role": "member", "page": "2"}
        )

        assert b'href="?search=snacker&amp;role=member&amp;page=2"' in first.content
        assert "Page 1 of 2" in page_text(first.content)
        assert [row[0] for row in table_rows(second.content, "members-table")[1:]] == [
            "Snacker 50"
        ]
        assert b'name="page" value="2"' in second.content


class TestPromote:
    def test_makes_a_member_an_admin_and_says_so(self, admin: User) -> None:
        nina = UserFactory.create(name="Nina")
        browser = signed_in(admin)

        location = _promote(browser, nina)

        nina.refresh_from_db()
        assert nina.role == ShopRole.ADMIN
        assert location == MEMBERS
        text = page_text(browser.get(location).content)
        assert "Nina is now an admin of the shop." in text
        assert "Make admin Nina" not in text

    def test_promoting_an_admin_again_changes_nothing(self, admin: User) -> None:
        nina = UserFactory.create(name="Nina", shop_admin=True)
        browser = signed_in(admin)

        _promote(browser, nina)
        location = _promote(browser, nina)

        nina.refresh_from_db()
        assert nina.role == ShopRole.ADMIN
        assert "Nina is now an admin of the shop." in page_text(
            browser.get(location).content
        )

    def test_goes_back_to_the_page_it_was_on_with_its_filters(
        self, admin: User
    ) -> None:
        nina = UserFactory.create(name="Nina")

        location = _promote(
            signed_in(admin),
            nina,
            search="nin",
            role="member",
            page="2",
            next="https://evil.example/",
        )

        assert location == f"{MEMBERS}?search=nin&role=member&page=2"

    @pytest.mark.parametrize("who", ["unknown", "resigned"])
    def test_an_unknown_or_resigned_member_is_a_message_not_an_error(
        self, admin: User, who: str
    ) -> None:
        member_id = (
            uuid.uuid4() if who == "unknown" else UserFactory.create(resigned=True).id
        )
        browser = signed_in(admin)

        response = browser.post(f"{MEMBERS}{member_id}/promote/")

        assert response.status_code == 302
        assert "No active member has this id." in page_text(
            browser.get(response["Location"]).content
        )

    def test_is_a_post_only(self, admin: User) -> None:
        nina = UserFactory.create()

        response = signed_in(admin).get(f"{MEMBERS}{nina.id}/promote/")

        assert response.status_code == 405
        nina.refresh_from_db()
        assert nina.role == ShopRole.MEMBER
