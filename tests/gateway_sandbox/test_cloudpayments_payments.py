"""One-stage payments by cryptogram and by token, and looking payments up, through the
unmodified CloudPayments SDK."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import requests
from cloudpayments import CloudPayments, CloudPaymentsError, PaymentError
from cloudpayments.models import Transaction

from gateway_sandbox.app import Sandbox
from gateway_sandbox.cloudpayments import decode_cryptogram
from tests.gateway_sandbox.cloudpayments_merchant import (
    api_post,
    cryptogram,
    ledger,
    sandbox_now,
)

# GATEWAYS.md A2.1, in the documented order.
TRANSACTION_FIELDS = [
    "ReasonCode", "PublicId", "TerminalUrl", "TransactionId", "Amount", "Currency",
    "CurrencyCode", "PaymentAmount", "PaymentCurrency", "PaymentCurrencyCode",
    "InvoiceId", "AccountId", "TrInitiatorCode", "Email", "Description", "JsonData",
    "CreatedDate", "PayoutDate", "PayoutDateIso", "PayoutAmount", "CreatedDateIso",
    "AuthDate", "AuthDateIso", "ConfirmDate", "ConfirmDateIso", "AuthCode", "TestMode",
    "Rrn", "OriginalTransactionId", "FallBackScenarioDeclinedTransactionId",
    "IpAddress", "IpCountry", "IpCity", "IpRegion", "IpDistrict", "IpLatitude",
    "IpLongitude", "CardFirstSix", "CardLastFour", "CardExpDate", "CardType",
    "CardProduct", "CardCategory", "EscrowAccumulationId", "IssuerBankCountry",
    "Issuer", "CardTypeCode", "Status", "StatusCode", "CultureName", "Reason",
    "CardHolderMessage", "Type", "Refunded", "Name", "Token", "SubscriptionId",
    "GatewayName", "AndroidPay", "WalletType", "TotalFee", "VatAboveTotalFee",
    "ProcessorAndPartnerFee", "VatWithinProcessorFee",
]  # fmt: skip
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


@pytest.fixture
def client(cloudpayments_client: CloudPayments) -> CloudPayments:
    return cloudpayments_client


def charge(client: CloudPayments, number: str, **kwargs: object) -> Transaction:
    return client.charge_card(
        cryptogram(number), 10, "RUB", "IVAN PETROV", "203.0.113.7", **kwargs
    )


class TestTestMethod:
    def test_answers_a_guid(self, client: CloudPayments) -> None:
        """`test` returns Message, a GUID, as the real ping does."""
        message = client.test()

        assert re.fullmatch(r"[0-9a-f-]{36}", message)


class TestChargeCard:
    def test_returns_a_completed_transaction_with_every_field(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        """A card without 3-DS is charged and every field of the SDK model is filled."""
        before = sandbox_now(sandbox_url).replace(microsecond=0)

        transaction = client.charge_card(
            cryptogram("4000000000003055", exp="1230"),
            10.5,
            "RUB",
            "IVAN PETROV",
            "203.0.113.7",
            invoice_id="inv-1",
            description="Plan Pro",
            account_id="acc-1",
            email="ivan@example.com",
            data={"plan": "pro"},
        )

        assert isinstance(transaction, Transaction)
        assert transaction.id > 0
        assert transaction.amount == Decimal("10.50")
        assert transaction.currency == "RUB"
        assert transaction.currency_code == 0
        assert transaction.invoice_id == "inv-1"
        assert transaction.account_id == "acc-1"
        assert transaction.email == "ivan@example.com"
        assert transaction.description == "Plan Pro"
        assert transaction.data == '{"plan": "pro"}'
        assert transaction.created_date >= before
        assert transaction.created_date.utcoffset() == dt.timedelta(0)
        assert transaction.auth_date == transaction.created_date
        assert transaction.confirm_date == transaction.created_date
        assert re.fullmatch(r"[A-Z0-9]{6}", transaction.auth_code)
        assert transaction.test_mode is True
        assert transaction.ip_address == "203.0.113.7"
        assert transaction.ip_country == "RU"
        assert transaction.ip_city == "Москва"
        assert transaction.ip_region == "Москва"
        assert transaction.ip_district == "Центральный федеральный округ"
        assert transaction.ip_latitude == Decimal("55.75")
        assert transaction.ip_longitude == Decimal("37.62")
        assert transaction.card_first_six == "400000"
        assert transaction.card_last_four == "3055"
        assert transaction.card_exp_date == "12/30"
        assert transaction.card_type == "Visa"
        assert transaction.card_type_code == 0
        assert transaction.issuer == "Sandbox Bank"
        assert transaction.issuer_bank_country == "RU"
        assert transaction.status == "Completed"
        assert transaction.status_code == 3
        assert transaction.reason == "Approved"
        assert transaction.reason_code == 0
        assert transaction.cardholder_message == "Оплата успешно проведена"
        assert transaction.name == "IVAN PETROV"
        assert transaction.token.startswith("tk_")
        assert transaction.secure3d_required is False

    def test_sends_every_documented_field_in_order(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        """The raw Model has every A2.1 field, in order, with numbers as numbers."""
        response = api_post(
            sandbox_url,
            sandbox,
            "payments/cards/charge",
            {
                "Amount": 10.1,
                "IpAddress": "203.0.113.7",
                "CardCryptogramPacket": cryptogram("4000000000003055"),
            },
        )

        body = response.json()
        model = body["Model"]
        assert response.headers["Content-Type"].startswith("application/json")
        assert list(body) == ["Model", "Success", "Message"]
        assert list(model) == TRANSACTION_FIELDS
        # A JSON number with the currency's two decimals, written without a float.
        assert '"Amount": 10.10,' in response.text
        assert model["Currency"] == "RUB"
        assert model["PublicId"] == sandbox.config.cloudpayments_public_id
        assert ISO_DATE.fullmatch(model["CreatedDateIso"])
        assert re.fullmatch(r"/Date\(\d+\)/", model["CreatedDate"])
        assert model["GatewayName"] == "Test"
        assert model["Type"] == 0
        assert model["Refunded"] is False
        assert model["TrInitiatorCode"] is None

    def test_declines_insufficient_funds_with_5051(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        """4000 0566 5566 5556 is declined: PaymentError with the documented texts."""
        with pytest.raises(PaymentError) as caught:
            charge(client, "4000056655665556", account_id="acc-1", invoice_id="inv-2")

        error = caught.value
        assert error.reason_code == 5051
        assert error.reason == "InsufficientFunds"
        assert error.cardholder_message == "Недостаточно средств на карте"
        assert str(error) == "InsufficientFunds"
        assert error.verbose_message == "Недостаточно средств на карте"
        declined = client.get_transaction(error.transaction_id)
        assert declined.status == "Declined"
        assert declined.status_code == 5
        assert declined.auth_date is None
        assert declined.token is None
        assert ledger(sandbox_url)["entries"] == []

    @pytest.mark.parametrize(
        ("number", "exp", "code", "reason"),
        [
            ("4000000000000077", "1230", 5204, "UnableToProcess"),
            ("4000000000000078", "1230", 5014, "InvalidCardNumber"),
            ("4000000000003055", "0120", 5054, "ExpiredCard"),
        ],
    )
    def test_declines_unknown_invalid_and_expired_cards(
        self, client: CloudPayments, number: str, exp: str, code: int, reason: str
    ) -> None:
        """Unknown PANs, bad check digits and past expiry dates are declined."""
        with pytest.raises(PaymentError) as caught:
            client.charge_card(
                cryptogram(number, exp=exp), 10, "RUB", "IVAN", "203.0.113.7"
            )

        assert caught.value.reason_code == code
        assert caught.value.reason == reason

    def test_records_the_capture_in_the_ledger(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        """A charge is a capture in minor units, with InvoiceId as the reference."""
        transaction = charge(
            client, "4000000000003055", invoice_id="inv-3", account_id="a"
        )

        entries = ledger(sandbox_url)["entries"]
        assert [
            (e["kind"], e["transaction_id"], e["amount_minor"], e["currency"])
            for e in entries
        ] == [("capture", str(transaction.id), 1000, "RUB")]
        assert entries[0]["invoice_id"] == entries[0]["reference"] == "inv-3"
        assert entries[0]["account_id"] == "a"

    def test_issues_one_token_per_card_and_account(self, client: CloudPayments) -> None:
        """The same card and account get the same token; another account another."""
        first = charge(client, "4000000000003055", account_id="acc-1")
        again = charge(client, "4000000000003055", account_id="acc-1")
        other = charge(client, "4000000000003055", account_id="acc-2")
        anonymous = charge(client, "4000000000003055")

        assert first.token == again.token
        assert other.token not in (None, first.token)
        assert anonymous.token is None

    def test_accepts_a_bare_test_pan_and_a_usd_amount(
        self, client: CloudPayments
    ) -> None:
        """A bare 16-digit PAN stands in for a cryptogram (A6)."""
        transaction = client.charge_card(
            "5205000000003055", 1.99, "USD", "IVAN", "203.0.113.7"
        )

        assert transaction.card_type == "MasterCard"
        assert transaction.currency == "USD"
        assert transaction.amount == Decimal("1.99")

    def test_accepts_form_bodies_with_names_in_any_case(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        """Form-encoded bodies and camelCase names are read like JSON ones."""
        response = requests.post(
            f"{sandbox_url}/payments/cards/charge",
            data={
                "amount": "12.30",
                "currency": "eur",
                "ipAddress": "203.0.113.7",
                "cardCryptogramPacket": cryptogram("2202000000003055"),
                "invoiceId": "inv-form",
                "SomethingUnknown": "ignored",
            },
            auth=(
                sandbox.config.cloudpayments_public_id,
                sandbox.config.cloudpayments_api_secret,
            ),
            timeout=5,
        )

        model = response.json()["Model"]
        assert response.json()["Success"] is True
        assert (model["Amount"], model["Currency"], model["CurrencyCode"]) == (
            12.3,
            "EUR",
            2,
        )
        assert model["CardType"] == "MIR"
        assert model["InvoiceId"] == "inv-form"

    def test_cryptogram_helper_makes_a_packet_the_gateway_reads(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        """`/__sandbox/cp/cryptogram` builds the `sbx1:` packet of A6."""
        response = requests.post(
            f"{sandbox_url}/__sandbox/cp/cryptogram",
            json={"number": "4000 0000 0000 3055", "exp": "12/30", "cvv": "123"},
            timeout=5,
        )

        packet = response.json()["CardCryptogramPacket"]
        assert packet.startswith("sbx1:")
        assert decode_cryptogram(packet).last_four == "3055"
        transaction = client.charge_card(packet, 5, "RUB", "IVAN", "203.0.113.7")
        assert transaction.card_exp_date == "12/30"


class TestChargeToken:
    def test_charges_a_saved_card(self, client: CloudPayments) -> None:
        """A token from a first payment pays again without the card."""
        first = charge(client, "4000000000003055", account_id="acc-1")

        renewal = client.charge_token(
            first.token, "acc-1", 7.25, "RUB", invoice_id="inv-renewal"
        )

        assert renewal.status == "Completed"
        assert renewal.amount == Decimal("7.25")
        assert renewal.token == first.token
        assert renewal.card_last_four == "3055"
        assert renewal.id != first.id

    def test_records_the_initiator_code_the_sdk_cannot_send(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        """TrInitiatorCode and PaymentScheduled are accepted and echoed."""
        first = charge(client, "4000000000003055", account_id="acc-1")

        response = api_post(
            sandbox_url,
            sandbox,
            "payments/tokens/charge",
            {
                "Amount": 3,
                "AccountId": "acc-1",
                "Token": first.token,
                "TrInitiatorCode": 0,
                "PaymentScheduled": 1,
            },
        )

        assert response.json()["Success"] is True
        assert response.json()["Model"]["TrInitiatorCode"] == 0

    def test_later_token_payments_of_4111_fail_with_5051(
        self, client: CloudPayments
    ) -> None:
        """4111 1111 1111 1111 pays once, then every token payment fails."""
        first = charge(client, "4111111111111111", account_id="acc-1")

        with pytest.raises(PaymentError) as caught:
            client.charge_token(first.token, "acc-1", 10, "RUB")

        assert first.status == "Completed"
        assert caught.value.reason_code == 5051

    def test_refuses_a_token_of_another_account(self, client: CloudPayments) -> None:
        """A token works only with its AccountId: decline 5012 InvalidTransaction."""
        first = charge(client, "4000000000003055", account_id="acc-1")

        with pytest.raises(PaymentError) as caught:
            client.charge_token(first.token, "acc-2", 10, "RUB")

        assert caught.value.reason_code == 5012

    def test_refuses_an_unknown_token(self, client: CloudPayments) -> None:
        with pytest.raises(CloudPaymentsError, match="Token not found") as caught:
            client.charge_token("tk_unknown", "acc-1", 10, "RUB")

        assert not isinstance(caught.value, PaymentError)

    def test_strict_mode_requires_the_initiator_code(
        self,
        client: CloudPayments,
        sandbox: Sandbox,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """With strict_initiator_code the 2021 SDK's token charges are refused."""
        first = charge(client, "4000000000003055", account_id="acc-1")
        monkeypatch.setattr(sandbox.config, "strict_initiator_code", True)

        with pytest.raises(CloudPaymentsError) as caught:
            client.charge_token(first.token, "acc-1", 10, "RUB")

        assert caught.value.response == {
            "Success": False,
            "Message": "TrInitiatorCode is required",
        }


SAVED_CARD = "4000000000003055"
# Passes the Luhn check, but is none of the sandbox's test cards.
NOT_A_TEST_CARD = "4000000000000002"


class TestSeededTokens:
    def test_seeded_tokens_pay_like_tokens_from_a_first_payment(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        """`/__sandbox/cp/tokens` issues a token per account and moves no money."""
        response = requests.post(
            f"{sandbox_url}/__sandbox/cp/tokens",
            json={
                "CardCryptogramPacket": cryptogram("4000000000003055"),
                "account_ids": ["acc-1", "acc-2"],
            },
            timeout=5,
        )
        tokens = response.json()["tokens"]
        untouched = ledger(sandbox_url)["entries"]

        renewal = client.charge_token(tokens["acc-1"], "acc-1", 7, "RUB")

        assert response.status_code == 200
        assert sorted(tokens) == ["acc-1", "acc-2"]
        assert tokens["acc-1"] != tokens["acc-2"]
        assert untouched == []
        assert renewal.status == "Completed"
        assert renewal.card_last_four == "3055"
        assert [e["kind"] for e in ledger(sandbox_url)["entries"]] == ["capture"]

    def test_a_seeded_token_is_bound_to_its_account(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        response = requests.post(
            f"{sandbox_url}/__sandbox/cp/tokens",
            json={
                "CardCryptogramPacket": cryptogram("4000000000003055"),
                "account_ids": ["acc-1"],
            },
            timeout=5,
        )

        with pytest.raises(PaymentError) as caught:
            client.charge_token(response.json()["tokens"]["acc-1"], "acc-2", 7, "RUB")

        assert caught.value.reason_code == 5012

    @pytest.mark.parametrize(
        "body",
        [
            {"CardCryptogramPacket": cryptogram(SAVED_CARD)},
            {"CardCryptogramPacket": cryptogram(SAVED_CARD), "account_ids": []},
            {"CardCryptogramPacket": "nonsense", "account_ids": ["acc-1"]},
            {"CardCryptogramPacket": cryptogram(NOT_A_TEST_CARD), "account_ids": ["a"]},
        ],
        ids=["no accounts", "empty list", "bad packet", "not a test card"],
    )
    def test_refuses_a_malformed_request(
        self, sandbox_url: str, body: dict[str, object]
    ) -> None:
        response = requests.post(
            f"{sandbox_url}/__sandbox/cp/tokens", json=body, timeout=5
        )

        assert response.status_code == 400
        assert "error" in response.json()


class TestLookups:
    def test_get_returns_the_transaction(self, client: CloudPayments) -> None:
        paid = charge(client, "4000000000003055", invoice_id="inv-get")

        found = client.get_transaction(paid.id)

        assert (found.id, found.status, found.invoice_id) == (
            paid.id,
            "Completed",
            "inv-get",
        )

    def test_find_returns_the_latest_payment_of_an_invoice(
        self, client: CloudPayments
    ) -> None:
        charge(client, "4000000000003055", invoice_id="inv-find")
        latest = charge(client, "4000000000003055", invoice_id="inv-find")

        found = client.find_payment("inv-find")

        assert found.id == latest.id

    def test_find_reports_a_declined_payment_as_unsuccessful(
        self, client: CloudPayments
    ) -> None:
        """A found but declined payment: Success false, no Message, the Model."""
        with pytest.raises(PaymentError):
            charge(client, "4000056655665556", invoice_id="inv-declined")

        with pytest.raises(CloudPaymentsError) as caught:
            client.find_payment("inv-declined")

        assert caught.value.response["Message"] is None
        assert caught.value.response["Model"]["ReasonCode"] == 5051

    def test_v2_find_also_returns_refunds(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        paid = charge(client, "4000000000003055", invoice_id="inv-v2")
        refund_id = client.refund(paid.id, 4)

        v1 = api_post(sandbox_url, sandbox, "payments/find", {"InvoiceId": "inv-v2"})
        v2 = api_post(sandbox_url, sandbox, "v2/payments/find", {"InvoiceId": "inv-v2"})

        assert v1.json()["Model"]["TransactionId"] == paid.id
        assert v2.json()["Model"]["TransactionId"] == refund_id
        assert v2.json()["Model"]["Type"] == 1
        assert v2.json()["Model"]["OriginalTransactionId"] == paid.id

    def test_list_returns_the_day_in_the_requested_time_zone(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        """22:30 UTC on the 1st is the 2nd in Moscow (UTC+3)."""
        requests.post(
            f"{sandbox_url}/__sandbox/clock",
            json={"now": "2029-03-01T22:30:00+00:00", "frozen": True},
            timeout=5,
        ).raise_for_status()
        paid = charge(client, "4000000000003055", invoice_id="inv-list")

        utc_day = list(client.list_payments(dt.date(2029, 3, 1)))
        moscow_next_day = list(client.list_payments(dt.date(2029, 3, 2), "MSK"))
        moscow_same_day = list(client.list_payments(dt.date(2029, 3, 1), "MSK"))

        assert [t.id for t in utc_day] == [paid.id]
        assert [t.id for t in moscow_next_day] == [paid.id]
        assert moscow_same_day == []
        assert isinstance(utc_day[0], Transaction)
