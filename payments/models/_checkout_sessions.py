"""Hosted checkout sessions: one payment page, used once, for a limited time."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models

from billing.models import CURRENCY_FORMAT, Payer
from billing.money import Money
from payments.models._common import Gateway
from payments.models._payments import Payment
from payments.models._setups import CardSetup


class CheckoutSessionStatus(models.TextChoices):
    # Payable until `expires_at`; a claimed session stays OPEN while its payment is
    # in flight (3-D Secure, unknown outcome) but cannot be claimed again.
    OPEN = "OPEN", "Open"
    COMPLETED = "COMPLETED", "Completed (paid)"
    FAILED = "FAILED", "Failed (payment declined or not authenticated)"
    EXPIRED = "EXPIRED", "Expired unused"


class CheckoutSessionMode(models.TextChoices):
    PAYMENT = "PAYMENT", "Payment (charge the amount)"
    # Verify and save the card without taking money, as a subscription's trial needs.
    CARD_SETUP = "CARD_SETUP", "Card check (nothing is charged)"
    # Hold the amount on the card (captured or voided later by the caller, such as
    # the shop for an order) and save the card.
    AUTHORIZE = "AUTHORIZE", "Hold (the amount is held, not charged)"


# The modes whose page makes a payment (the others verify a card).
PAYMENT_MODES = (CheckoutSessionMode.PAYMENT, CheckoutSessionMode.AUTHORIZE)


FINAL_CHECKOUT_STATUSES = (
    CheckoutSessionStatus.COMPLETED,
    CheckoutSessionStatus.FAILED,
    CheckoutSessionStatus.EXPIRED,
)


class CheckoutSession(models.Model):
    """A page at `/checkout/<id>/` where a payer enters a card, once: to pay one
    amount (PAYMENT), to have it held (AUTHORIZE) or to have the card verified and
    saved (CARD_SETUP)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payer = models.ForeignKey(
        Payer, on_delete=models.PROTECT, related_name="checkout_sessions"
    )
    mode = models.CharField(
        max_length=10,
        choices=CheckoutSessionMode.choices,
        default=CheckoutSessionMode.PAYMENT,
    )
    # PAYMENT: the amount charged. AUTHORIZE: the amount held, for its caller to
    # capture or void. CARD_SETUP: the amount CloudPayments authorizes and voids at
    # once to prove the card (Stripe ignores it); never captured.
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    # What the page says is bought, such as a plan's name and price per period.
    description = models.CharField(max_length=200, blank=True)
    # PAYMENT: what the session's payment pays (`Payment.pays`, such as
    # "invoice:<id>", so that billing marks that invoice paid); empty: the session
    # itself, "checkout:<id>". AUTHORIZE: the caller's reference of what the hold is
    # for (such as "order:<uuid>"), always set.
    pays = models.CharField(max_length=80, blank=True)
    # CARD_SETUP only: what the card is verified for (`CardSetup.purpose`, such as
    # "subscription:<uuid>"); empty: the session itself, "checkout:<id>".
    setup_purpose = models.CharField(max_length=80, blank=True)
    gateway = models.CharField(max_length=20, choices=Gateway.choices)
    success_url = models.URLField(max_length=2000)
    failure_url = models.URLField(max_length=2000)
    status = models.CharField(
        max_length=10,
        choices=CheckoutSessionStatus.choices,
        default=CheckoutSessionStatus.OPEN,
    )
    payment = models.ForeignKey(
        Payment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="checkout_sessions",
    )
    card_setup = models.ForeignKey(
        CardSetup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="checkout_sessions",
    )
    # "user:<uuid>" of the staff member or script that created the session.
    created_by = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # Set once, by the one request allowed to pay: the session's single use.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When the session reached COMPLETED or FAILED.
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0),
                name="checkout_session_amount_positive",
            ),
            models.CheckConstraint(
                condition=CURRENCY_FORMAT, name="checkout_session_currency_iso"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=CheckoutSessionStatus.values),
                name="checkout_session_status_valid",
            ),
            # Each mode has its own reference and its own attempt, never the other's.
            models.CheckConstraint(
                condition=models.Q(
                    mode=CheckoutSessionMode.PAYMENT,
                    setup_purpose="",
                    card_setup__isnull=True,
                )
                | (
                    models.Q(
                        mode=CheckoutSessionMode.AUTHORIZE,
                        setup_purpose="",
                        card_setup__isnull=True,
                    )
                    & ~models.Q(pays="")
                )
                | models.Q(
                    mode=CheckoutSessionMode.CARD_SETUP,
                    pays="",
                    payment__isnull=True,
                ),
                name="checkout_session_mode_fields",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=CheckoutSessionStatus.COMPLETED)
                | models.Q(payment__isnull=False)
                | models.Q(card_setup__isnull=False),
                name="checkout_session_completed_has_attempt",
            ),
            # One page per paid object (an invoice, say): its payment is found by it.
            models.UniqueConstraint(
                fields=["pays"],
                condition=~models.Q(pays="")
                & ~models.Q(mode=CheckoutSessionMode.AUTHORIZE),
                name="checkout_session_pays_once",
            ),
            # A caller's reference has one open hold page at a time; once it expired
            # or failed, the caller may open another for the same reference.
            models.UniqueConstraint(
                fields=["pays"],
                condition=models.Q(
                    mode=CheckoutSessionMode.AUTHORIZE,
                    status=CheckoutSessionStatus.OPEN,
                ),
                name="checkout_session_hold_open_once",
            ),
            models.UniqueConstraint(
                fields=["setup_purpose"],
                condition=~models.Q(setup_purpose=""),
                name="checkout_session_setup_purpose_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "expires_at"], name="checkout_session_expiry"
            ),
            models.Index(fields=["payer", "created_at"], name="checkout_session_payer"),
        ]

    def __str__(self) -> str:
        return f"Checkout {self.id} {self.amount} {self.status}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def attempt(self) -> Payment | CardSetup | None:
        """The payment (PAYMENT, AUTHORIZE) or the card setup (CARD_SETUP) the
        session made."""
        if self.mode == CheckoutSessionMode.CARD_SETUP:
            return self.card_setup
        return self.payment

    @property
    def is_claimed(self) -> bool:
        return self.claimed_at is not None

    def is_expired_at(self, now: dt.datetime) -> bool:
        """Whether an unclaimed session has passed its expiry (or was expired)."""
        if self.status == CheckoutSessionStatus.EXPIRED:
            return True
        return (
            self.status == CheckoutSessionStatus.OPEN
            and not self.is_claimed
            and now >= self.expires_at
        )

    def status_at(self, now: dt.datetime) -> str:
        """The status as of `now`: an OPEN session past its expiry reads EXPIRED."""
        if self.is_expired_at(now):
            return CheckoutSessionStatus.EXPIRED
        return self.status
