"""The shop's members: sign up, resign and promote (accounts.services)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import IntegrityError, transaction

from accounts.errors import (
    EmailResigned,
    EmailTaken,
    InvalidSignUp,
    LastAdmin,
    MemberNotFound,
    NotShopAdmin,
    WrongPassword,
)
from accounts.models import ShopRole, User
from accounts.selectors import list_members
from accounts.services import promote, resign, sign_up
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
STRONG = "plum-tart-on-a-Tuesday"


class TestSignUp:
    def test_makes_a_member_who_can_sign_in(self) -> None:
        """The address is stored in lower case; the role is member."""
        user = sign_up(email="Nora@Example.COM", password=STRONG, name=" Nora ")

        user.refresh_from_db()
        assert user.email == "nora@example.com"
        assert user.name == "Nora"
        assert user.role == ShopRole.MEMBER
        assert user.check_password(STRONG)
        assert user.is_active and not user.is_staff

    @pytest.mark.parametrize("password", ["short", "12345678901", "password123"])
    def test_refuses_a_weak_password_naming_the_field(self, password: str) -> None:
        with pytest.raises(InvalidSignUp) as refused:
            sign_up(email="weak@example.com", password=password, name="Weak")

        assert refused.value.http_status == 400
        assert refused.value.extra["fields"]["password"]  # type: ignore[index]
        assert not User.objects.filter(email="weak@example.com").exists()

    def test_refuses_a_password_like_the_email(self) -> None:
        with pytest.raises(InvalidSignUp):
            sign_up(
                email="gooseberry.fool@example.com", password="gooseberryfool", name=""
            )

    def test_refuses_an_email_taken_in_another_case(self) -> None:
        UserFactory.create(email="taken@example.com")

        with pytest.raises(EmailTaken):
            sign_up(email="TAKEN@example.com", password=STRONG, name="")

    def test_refuses_the_email_of_a_member_who_resigned(self) -> None:
        gone = UserFactory.create(email="gone@example.com")
        resign(user_id=gone.id, password=PASSWORD, now=NOW)

        with pytest.raises(EmailResigned):
            sign_up(email="Gone@example.com", password=STRONG, name="")


class TestEmailUniqueness:
    def test_the_database_refuses_an_email_differing_only_in_case(self) -> None:
        """The constraint holds past the manager (a row written directly)."""
        UserFactory.create(email="case@example.com")

        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(email="CASE@example.com")

    def test_sign_in_finds_the_user_however_the_email_is_typed(self) -> None:
        user = UserFactory.create(email="typed@example.com")

        assert User.objects.get_by_natural_key("Typed@EXAMPLE.com") == user


class TestResign:
    def test_deactivates_and_stamps_the_member(self) -> None:
        member = UserFactory.create()

        resign(user_id=member.id, password=PASSWORD, now=NOW)

        member.refresh_from_db()
        assert not member.is_active
        assert member.resigned_at == NOW

    def test_refuses_a_wrong_password(self) -> None:
        member = UserFactory.create()

        with pytest.raises(WrongPassword):
            resign(user_id=member.id, password="not-it", now=NOW)

        member.refresh_from_db()
        assert member.is_active

    def test_refuses_the_last_admin(self) -> None:
        admin = UserFactory.create(shop_admin=True)
        UserFactory.create(shop_admin=True, is_active=False)

        with pytest.raises(LastAdmin):
            resign(user_id=admin.id, password=PASSWORD, now=NOW)

        admin.refresh_from_db()
        assert admin.is_active

    def test_lets_an_admin_resign_while_another_remains(self) -> None:
        admin, other = UserFactory.create_batch(2, shop_admin=True)

        resign(user_id=admin.id, password=PASSWORD, now=NOW)

        with pytest.raises(LastAdmin):
            resign(user_id=other.id, password=PASSWORD, now=NOW)

    def test_refuses_a_member_who_already_resigned(self) -> None:
        member = UserFactory.create()
        resign(user_id=member.id, password=PASSWORD, now=NOW)

        with pytest.raises(MemberNotFound):
            resign(user_id=member.id, password=PASSWORD, now=NOW)


class TestPromote:
    def test_makes_the_member_an_admin(self) -> None:
        admin, member = UserFactory.create(shop_admin=True), UserFactory.create()

        promoted = promote(admin_id=admin.id, member_id=member.id)

        member.refresh_from_db()
        assert promoted.role == member.role == ShopRole.ADMIN
        assert not member.is_staff

    def test_is_idempotent(self) -> None:
        admin, member = UserFactory.create(shop_admin=True), UserFactory.create()
        promote(admin_id=admin.id, member_id=member.id)

        again = promote(admin_id=admin.id, member_id=member.id)

        assert again.role == ShopRole.ADMIN

    def test_refuses_a_member_who_is_not_an_admin(self) -> None:
        member, other = UserFactory.create_batch(2)

        with pytest.raises(NotShopAdmin):
            promote(admin_id=member.id, member_id=other.id)

        other.refresh_from_db()
        assert other.role == ShopRole.MEMBER

    def test_refuses_django_staff_who_are_not_shop_admins(self) -> None:
        staff, member = UserFactory.create(superuser=True), UserFactory.create()

        with pytest.raises(NotShopAdmin):
            promote(admin_id=staff.id, member_id=member.id)

    @pytest.mark.parametrize("active", [False, None])
    def test_refuses_a_resigned_or_unknown_member(self, active: bool | None) -> None:
        admin = UserFactory.create(shop_admin=True)
        member_id = (
            uuid.uuid4() if active is None else UserFactory.create(is_active=False).id
        )

        with pytest.raises(MemberNotFound):
            promote(admin_id=admin.id, member_id=member_id)


class TestListMembers:
    def test_lists_active_members_filtered_by_role_and_search(self) -> None:
        admin = UserFactory.create(
            shop_admin=True, email="boss@example.com", date_joined=NOW
        )
        nora = UserFactory.create(
            email="nora@example.com",
            name="Nora Baker",
            date_joined=NOW + dt.timedelta(seconds=1),
        )
        UserFactory.create(email="left@example.com", is_active=False)

        assert list(list_members()) == [admin, nora]
        assert list(list_members(role=ShopRole.ADMIN)) == [admin]
        assert list(list_members(search="BAKER")) == [nora]
        assert list(list_members(search="boss@")) == [admin]
