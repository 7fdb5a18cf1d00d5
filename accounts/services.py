"""What members of the snack shop do to their accounts: sign up, resign, promote.

Every write of a member's account is here. Services take the time as an argument
and raise the errors of `accounts.errors`.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
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

__all__ = ["promote", "resign", "sign_up"]

EMAIL_MAX_LENGTH = 254
EMAIL_TOO_LONG = f"Ensure this field has no more than {EMAIL_MAX_LENGTH} characters."


def sign_up(*, email: str, password: str, name: str) -> User:
    """Make a new member who can sign in with `email` and `password`.

    :raises InvalidSignUp: when the password fails Django's password validators
        (`extra.fields.password` lists why).
    :raises EmailResigned: when the e-mail, in any case, is that of a member who
        resigned.
    :raises EmailTaken: when the e-mail, in any case, belongs to another user.
    """
    address = User.objects.normalize_address(email)
    if len(address) > EMAIL_MAX_LENGTH:
        # Lower case can lengthen a few letters (İ); the column cannot.
        raise InvalidSignUp(extra={"fields": {"email": [EMAIL_TOO_LONG]}})
    _refuse_known_address(address)
    user = User(email=address, name=name.strip(), role=ShopRole.MEMBER)
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        fields = {"password": error.messages}
        raise InvalidSignUp(extra={"fields": fields}) from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError:
        # Another sign-up took the address between the check and the insert.
        _refuse_known_address(address)
        raise
    return user


def _refuse_known_address(address: str) -> None:
    known = User.objects.with_address(address).only("is_active", "resigned_at")
    for user in known:
        if user.resigned_at is not None:
            raise EmailResigned(extra={"email": address})
        raise EmailTaken(extra={"email": address})


@transaction.atomic
def resign(*, user_id: uuid.UUID, password: str, now: dt.datetime) -> User:
    """Resign the member `user_id`: the account stays, but can no longer sign in,
    refresh a token, or be signed up for again.

    The active admins are locked before the member (in id order), so that two admins
    resigning at once cannot both pass the last-admin check.

    :raises MemberNotFound: when no active user has the id.
    :raises WrongPassword: when `password` is not the user's.
    :raises LastAdmin: when the user is the shop's only active admin.
    """
    admins = list(
        User.objects.select_for_update()
        .filter(role=ShopRole.ADMIN, is_active=True)
        .order_by("id")
        .only("id")
    )
    user = User.objects.select_for_update().filter(id=user_id, is_active=True).first()
    if user is None:
        raise MemberNotFound(extra={"member_id": str(user_id)})
    if not user.check_password(password):
        raise WrongPassword()
    if user.role == ShopRole.ADMIN and not any(a.id != user.id for a in admins):
        raise LastAdmin()
    user.is_active = False
    user.resigned_at = now
    user.save(update_fields=["is_active", "resigned_at"])
    return user


@transaction.atomic
def promote(*, admin_id: uuid.UUID, member_id: uuid.UUID) -> User:
    """Make the active member `member_id` an admin of the shop, on behalf of the
    admin `admin_id`; promoting an admin again changes nothing.

    :raises NotShopAdmin: when `admin_id` is not an active admin.
    :raises MemberNotFound: when no active user has the id `member_id`.
    """
    # Both rows, in id order, so that the admin cannot resign meanwhile.
    rows = {
        user.id: user
        for user in User.objects.select_for_update()
        .filter(id__in=[admin_id, member_id], is_active=True)
        .order_by("id")
    }
    admin = rows.get(admin_id)
    if admin is None or admin.role != ShopRole.ADMIN:
        raise NotShopAdmin()
    member = rows.get(member_id)
    if member is None:
        raise MemberNotFound(extra={"member_id": str(member_id)})
    if member.role != ShopRole.ADMIN:
        member.role = ShopRole.ADMIN
        member.save(update_fields=["role"])
    return member
