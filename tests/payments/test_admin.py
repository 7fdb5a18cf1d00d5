"""The admin shows payments and their history, read-only, without secrets."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from billing.clock import billing_now
from billing.models import BillingEvent, StatusChange
from billing.money import Money
from payments.gateways.fake import FakeGateway
from payments.models import (
    CardSetup,
    CheckoutSession,
    CheckoutSessionMode,
    GatewayEventRecord,
    Payment,
    PaymentMethod,
    RefundReason,
)
from payments.services import (
    create_checkout_session,
    pay_checkout_session,
    refund_payment,
    start_card_payment,
)
from tests.payments import staff
from tests.payments.factories import PaymentMismatchFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
PAYER = uuid.UUID("9a0c5e1b-2d3f-4a6b-8c7d-1e2f3a4b5c6d")
SECRET_IN_PAYLOAD = "tk_never_shown_0123456789"


def _pay(*, pays: str = "", payer_id: uuid.UUID = PAYER) -> Payment:
    payment = start_card_payment(
        payer_id=payer_id,
        gateway="fake",
        amount=Money(125_000, "RUB"),
        card_payload="sbx1:admin-test-card",
        now=NOW,
        actor="system:test",
        pays=pays,
    )
    refund_payment(
        payment_id=payment.id,
        reason=RefundReason.DUPLICATE,
        requested_by="user:accounting",
        now=NOW,
        amount=Money(5_000, "RUB"),
    )
    return payment


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(staff.superuser())
    return client


@pytest.fixture
def paid(fake_gateway: FakeGateway) -> Payment:
    payment = _pay(pays="invoice:77")
    GatewayEventRecord.objects.create(
        gateway="fake",
        kind="pay",
        external_id="evt_admin_1",
        gateway_reference=payment.gateway_reference or "",
        payload={"TransactionId": 1, "Token": SECRET_IN_PAYLOAD},
        payment=payment,
        received_at=NOW,
    )
    create_checkout_session(
        payer_id=PAYER,
        amount=Money(10_000, "RUB"),
        gateway="fake",
        success_url="https://shop.example/ok",
        failure_url="https://shop.example/no",
        created_by="user:support",
        now=NOW,
    )
    payment.refresh_from_db()
    return payment


def _changelist(model: str) -> str:
    return f"/admin/{model}/"


class TestPages:
    @pytest.mark.parametrize(
        "model",
        [
            "billing/payer",
            "billing/billingevent",
            "billing/statuschange",
            "payments/paymentmethod",
            "payments/payment",
            "payments/refund",
            "payments/gatewayeventrecord",
            "payments/checkoutsession",
        ],
    )
    def test_changelist_renders_with_rows(
        self, admin_client: Client, paid: Payment, model: str
    ) -> None:
        response = admin_client.get(_changelist(model))

        assert response.status_code == 200
        assert "0 results" not in response.content.decode()

    def test_change_pages_render_for_every_model(
        self, admin_client: Client, paid: Payment
    ) -> None:
        pages = {
            "billing/payer": PAYER,
            "billing/billingevent": BillingEvent.objects.first().pk,  # type: ignore[union-attr]
            "billing/statuschange": StatusChange.objects.first().pk,  # type: ignore[union-attr]
            "payments/paymentmethod": paid.payment_method_id,
            "payments/payment": paid.id,
            "payments/refund": paid.refunds.get().id,
            "payments/gatewayeventrecord": GatewayEventRecord.objects.get().pk,
            "payments/checkoutsession": CheckoutSession.objects.get().pk,
        }

        statuses = {
            model: admin_client.get(f"/admin/{model}/{pk}/change/").status_code
            for model, pk in pages.items()
        }

        assert set(statuses.values()) == {200}, statuses

    def test_payment_page_shows_formatted_money_refunds_and_audit_trail(
        self, admin_client: Client, paid: Payment
    ) -> None:
        response = admin_client.get(f"/admin/payments/payment/{paid.id}/change/")

        html = response.content.decode()
        assert "1,250.00 RUB" in html
        assert "50.00 RUB" in html
        assert "PARTIALLY_REFUNDED" in html
        assert "Audit trail" in html
        assert "PENDING → SUCCEEDED" in html
        assert str(paid.refunds.get().id) in html
        assert "Visa ····4242" in html

    def test_a_card_check_session_shows_its_mode_purpose_and_setup(
        self, admin_client: Client, fake_gateway: FakeGateway
    ) -> None:
        session = create_checkout_session(
            payer_id=PAYER,
            amount=Money(100, "RUB"),
            gateway="fake",
            success_url="https://shop.example/ok",
            failure_url="https://shop.example/no",
            created_by="user:support",
            now=billing_now(),
            mode=CheckoutSessionMode.CARD_SETUP,
            setup_purpose="subscription:42",
        )
        pay_checkout_session(
            session_id=session.id,
            card_payload="sbx1:card",
            ip_address=None,
            return_url="https://billing.example/3ds",
            now=billing_now(),
        )
        setup = CardSetup.objects.get()

        page = admin_client.get(
            f"/admin/payments/checkoutsession/{session.id}/change/"
        ).content.decode()
        found = admin_client.get(
            "/admin/payments/checkoutsession/", {"q": str(setup.id)}
        ).content.decode()

        assert "Card check (nothing is charged)" in page
        assert "subscription:42" in page
        assert f"{setup.id} (SUCCEEDED)" in page
        assert str(session.id) in found


class TestSecrets:
    def test_the_card_token_never_appears(
        self, admin_client: Client, paid: Payment
    ) -> None:
        method = PaymentMethod.objects.get(payments=paid)
        pages = [
            "/admin/payments/paymentmethod/",
            f"/admin/payments/paymentmethod/{method.id}/change/",
            "/admin/payments/payment/",
            f"/admin/payments/payment/{paid.id}/change/",
        ]

        html = "".join(admin_client.get(page).content.decode() for page in pages)

        assert (method.token or "").startswith("tok_fake_")
        assert "tok_fake_" not in html
        assert method.token_digest not in html

    def test_gateway_payloads_are_shown_masked(
        self, admin_client: Client, paid: Payment
    ) -> None:
        record = GatewayEventRecord.objects.get()

        response = admin_client.get(
            f"/admin/payments/gatewayeventrecord/{record.pk}/change/"
        )

        assert SECRET_IN_PAYLOAD not in response.content.decode()
        assert "[redacted]" in response.content.decode()


class TestSearch:
    @pytest.mark.parametrize(
        "term",
        ["payer", "payment", "gateway_reference", "pays"],
    )
    def test_finds_a_payment_by_exact_keys(
        self, admin_client: Client, paid: Payment, term: str
    ) -> None:
        other = _pay(payer_id=uuid.uuid4())
        query = {
            "payer": str(PAYER),
            "payment": str(paid.id),
            "gateway_reference": str(paid.gateway_reference),
            "pays": "invoice:77",
        }[term]

        response = admin_client.get("/admin/payments/payment/", {"q": query})

        html = response.content.decode()
        assert str(paid.id) in html
        assert str(other.id) not in html

    def test_a_malformed_uuid_finds_nothing_instead_of_failing(
        self, admin_client: Client, paid: Payment
    ) -> None:
        response = admin_client.get("/admin/payments/payment/", {"q": "5d7c1f0e-zz"})

        assert response.status_code == 200
        assert str(paid.id) not in response.content.decode()

    @pytest.mark.parametrize(
        ("model", "query", "expected"),
        [
            ("billing/billingevent", str(PAYER), "payment.succeeded"),
            ("billing/payer", str(PAYER), str(PAYER)),
            ("payments/paymentmethod", str(PAYER), "4242"),
            ("payments/gatewayeventrecord", "evt_admin_1", "evt_admin_1"),
        ],
    )
    def test_other_models_are_searched_by_their_keys(
        self,
        admin_client: Client,
        paid: Payment,
        model: str,
        query: str,
        expected: str,
    ) -> None:
        response = admin_client.get(f"/admin/{model}/", {"q": query})

        assert response.status_code == 200
        assert expected in response.content.decode()

    def test_a_refund_page_shows_its_own_audit_trail(
        self, admin_client: Client, paid: Payment
    ) -> None:
        refund = paid.refunds.get()

        html = admin_client.get(
            f"/admin/payments/refund/{refund.id}/change/"
        ).content.decode()

        assert "Status changes of the refund" in html
        assert "PENDING → SUCCEEDED" in html

    def test_refunds_are_found_by_payer_and_filtered_by_status(
        self, admin_client: Client, paid: Payment
    ) -> None:
        response = admin_client.get(
            "/admin/payments/refund/", {"q": str(PAYER), "status__exact": "SUCCEEDED"}
        )

        assert str(paid.refunds.get().id) in response.content.decode()


class TestReadOnly:
    def test_payments_cannot_be_deleted_added_or_changed(
        self, admin_client: Client, paid: Payment
    ) -> None:
        delete = admin_client.get(f"/admin/payments/payment/{paid.id}/delete/")
        add = admin_client.get("/admin/payments/payment/add/")
        change = admin_client.post(
            f"/admin/payments/payment/{paid.id}/change/", {"status": "FAILED"}
        )

        assert delete.status_code == 403
        assert add.status_code == 403
        assert change.status_code == 403
        paid.refresh_from_db()
        assert paid.status == "SUCCEEDED"

    def test_no_bulk_delete_action_is_offered(
        self, admin_client: Client, paid: Payment
    ) -> None:
        response = admin_client.get("/admin/payments/payment/")

        assert "delete_selected" not in response.content.decode()

    def test_the_audit_trail_cannot_be_deleted(
        self, admin_client: Client, paid: Payment
    ) -> None:
        change = StatusChange.objects.first()
        assert change is not None

        response = admin_client.post(
            f"/admin/billing/statuschange/{change.pk}/delete/", {"post": "yes"}
        )

        assert response.status_code == 403
        assert StatusChange.objects.filter(pk=change.pk).exists()


class TestQueryCount:
    @pytest.mark.parametrize(
        "model",
        ["payments/payment", "payments/refund", "payments/paymentmethod"],
    )
    def test_changelists_do_not_query_per_row(
        self, admin_client: Client, fake_gateway: FakeGateway, model: str
    ) -> None:
        _pay(payer_id=uuid.uuid4())
        with CaptureQueriesContext(connection) as few:
            admin_client.get(_changelist(model))
        for _ in range(4):
            _pay(payer_id=uuid.uuid4())

        with CaptureQueriesContext(connection) as many:
            admin_client.get(_changelist(model))

        assert len(many) == len(few)


class TestStaffRoles:
    @pytest.mark.parametrize("role", ["support", "accounting"])
    def test_staff_roles_can_view_but_not_change_payments(self, role: str) -> None:
        from django.contrib.auth.models import Group

        from accounts.models import User

        user = User.objects.create_user(f"{role}@example.com", "pw", is_staff=True)
        user.groups.add(Group.objects.get(name=role))

        assert user.has_perm("payments.view_payment")
        assert user.has_perm("billing.view_billingevent")
        assert not user.has_perm("payments.change_payment")


class TestMismatches:
    @pytest.fixture
    def held(self, fake_gateway: FakeGateway) -> Payment:
        """A payment whose gateway reported that it took 1.00 of 999.00."""
        return PaymentMismatchFactory.create().payment

    def test_the_payment_page_shows_what_the_gateway_reported_beside_ours(
        self, admin_client: Client, held: Payment
    ) -> None:
        response = admin_client.get(f"/admin/payments/payment/{held.id}/change/")

        html = response.content.decode()
        assert "PENDING → PENDING" in html
        assert "mismatch, not applied: succeeded 1.00 RUB" in html
        assert "waits for reconciliation" in html
        assert "fake_mismatch_" in html

    def test_the_list_filters_the_payments_waiting_for_reconciliation(
        self, admin_client: Client, held: Payment, paid: Payment
    ) -> None:
        response = admin_client.get(_changelist("payments/payment") + "?mismatch=open")

        html = response.content.decode()
        assert str(held.id) in html
        assert str(paid.id) not in html
