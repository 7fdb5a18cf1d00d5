"""The forms of joining, signing in and resigning."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password

from accounts.models import User
from snacks.web.form_base import AccessibleErrors, ShopForm

NOT_YOUR_SECRET = "That is not your password."  # noqa: S105 - words, not a secret
RESIGNED = "This account was closed when its member resigned; it can no longer sign in."


class SignUpForm(ShopForm):
    """The sign-up's fields. The password is also checked here, beside the other
    fields, so that a person sees every mistake at once; the service checks it
    again."""

    name = forms.CharField(label="Your name", max_length=150)
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput({"autocomplete": "email"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        help_text="At least 8 characters, not only digits, not a common password.",
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            person = User(
                email=cleaned.get("email") or "", name=cleaned.get("name") or ""
            )
            try:
                validate_password(password, user=person)
            except forms.ValidationError as weak:
                self.add_error("password", weak)
        return cleaned


class SignInForm(AccessibleErrors, AuthenticationForm):
    """Django's sign-in form (the e-mail is its `username`, as the sign-in guard
    reads it), which tells a resigned member why, once the password is right."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The e-mail or the password is wrong.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "E-mail"
        self.fields["username"].widget.attrs["autocomplete"] = "email"

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError:
            if self._is_resigned():
                raise forms.ValidationError(RESIGNED, code="resigned") from None
            raise

    def _is_resigned(self) -> bool:
        email = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        resigned = User.objects.with_address(
            User.objects.normalize_address(email)
        ).filter(resigned_at__isnull=False)
        return any(user.check_password(password) for user in resigned)


class ResignForm(ShopForm):
    """Resigning, confirmed twice; the password is checked here too, so that a
    wrong one and a missing tick are both shown at once."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand that my account is closed for good and that this "
        "e-mail can never join again.",
        error_messages={"required": "Tick the box to confirm that you resign."},
    )

    def __init__(self, member: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member = member

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        if not self.member.check_password(password):
            raise forms.ValidationError(NOT_YOUR_SECRET, code="wrong_password")
        return password
