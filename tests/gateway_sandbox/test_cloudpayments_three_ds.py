"""3-D Secure: the Secure3d answer, the sandbox ACS and post3ds (A2.2, A3.2, A4)."""

from __future__ import annotations

import html
import re

import pytest
import requests
from cloudpayments import CloudPayments, PaymentError
from cloudpayments.models import Secure3d, Transaction

from gateway_sandbox.app import Sandbox
from tests.gateway_sandbox.cloudpayments_merchant import (
    api_post,
    cryptogram,
    ledger,
)

TERM_URL = "https://shop.example/payments/3ds/return?order=42"


@pytest.fixture
def client(cloudpayments_client: CloudPayments) -> CloudPayments:
    return cloudpayments_client


def start(
    client: CloudPayments, number: str = "4242424242424242", **kw: object
) -> Secure3d:
    challenge = client.charge_card(
        cryptogram(number), 10, "RUB", "IVAN", "203.0.113.7", account_id="acc-1", **kw
    )
    assert isinstance(challenge, Secure3d)
    return challenge


def pa_res(sandbox_url: str, transaction_id: int, result: str = "success") -> str:
    response = requests.post(
        f"{sandbox_url}/__sandbox/cp/acs/complete",
        json={"TransactionId": transaction_id, "result": result},
        timeout=5,
    )
    response.raise_for_status()
    return response.json()["PaRes"]


def hidden_fields(page: str) -> dict[str, str]:
    found = re.findall(r"<input type='hidden' name='(\w+)' value='([^']*)'>", page)
    return {name: html.unescape(value) for name, value in found}


class TestSecure3dChallenge:
    def test_returns_secure3d_instead_of_a_transaction(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        challenge = start(client)

        assert challenge.secure3d_required is True
        assert challenge.acs_url == f"{sandbox_url}/__sandbox/cp/acs"
        assert challenge.pa_req
        assert challenge.redirect_params(TERM_URL)["MD"] == challenge.transaction_id
        assert client.get_transaction(challenge.transaction_id).status == (
            "AwaitingAuthentication"
        )
        assert ledger(sandbox_url)["entries"] == []

    def test_the_secure3d_model_has_no_reason_code(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        response = api_post(
            sandbox_url,
            sandbox,
            "payments/cards/charge",
            {
                "Amount": 10,
                "IpAddress": "203.0.113.7",
                "CardCryptogramPacket": cryptogram("5555555555554444"),
            },
        )

        body = response.json()
        assert (body["Success"], body["Message"]) == (False, None)
        assert "ReasonCode" not in body["Model"]
        assert body["Model"]["IFrameIsAllowed"] is True


class TestPost3ds:
    def test_completes_the_payment_after_authentication(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        challenge = start(client)

        transaction = client.finish_3d_secure_authentication(
            challenge.transaction_id, pa_res(sandbox_url, challenge.transaction_id)
        )

        assert isinstance(transaction, Transaction)
        assert transaction.id == challenge.transaction_id
        assert transaction.status == "Completed"
        assert transaction.token.startswith("tk_")
        assert [e["kind"] for e in ledger(sandbox_url)["entries"]] == ["capture"]

    def test_an_authorization_with_3ds_ends_authorized(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        challenge = start(client, "2200000000000004", require_confirmation=True)

        transaction = client.finish_3d_secure_authentication(
            challenge.transaction_id, pa_res(sandbox_url, challenge.transaction_id)
        )

        assert transaction.status == "Authorized"
        assert transaction.card_type == "MIR"

    def test_failed_authentication_declines_with_5206(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        challenge = start(client)

        with pytest.raises(PaymentError) as caught:
            client.finish_3d_secure_authentication(
                challenge.transaction_id,
                pa_res(sandbox_url, challenge.transaction_id, "fail"),
            )

        assert caught.value.reason_code == 5206
        assert caught.value.reason == "AuthenticationFailed"
        assert client.get_transaction(challenge.transaction_id).status == "Declined"

    def test_a_declining_card_declines_after_authentication(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        """4012 8888 8888 1881 passes 3-DS and is then declined with 5051."""
        challenge = start(client, "4012888888881881")

        with pytest.raises(PaymentError) as caught:
            client.finish_3d_secure_authentication(
                challenge.transaction_id, pa_res(sandbox_url, challenge.transaction_id)
            )

        assert caught.value.reason_code == 5051
        assert caught.value.transaction_id == challenge.transaction_id

    def test_a_repeated_post3ds_is_declined_and_changes_nothing(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        challenge = start(client)
        answer = pa_res(sandbox_url, challenge.transaction_id)
        client.finish_3d_secure_authentication(challenge.transaction_id, answer)

        with pytest.raises(PaymentError) as caught:
            client.finish_3d_secure_authentication(challenge.transaction_id, answer)

        assert caught.value.reason_code == 5206
        assert caught.value.transaction_id == challenge.transaction_id
        assert client.get_transaction(challenge.transaction_id).status == "Completed"
        assert len(ledger(sandbox_url)["entries"]) == 1

    def test_an_unknown_transaction_is_declined(self, client: CloudPayments) -> None:
        with pytest.raises(PaymentError) as caught:
            client.finish_3d_secure_authentication(999, "whatever")

        assert (caught.value.reason_code, caught.value.transaction_id) == (5206, 999)

    def test_a_pares_of_another_transaction_fails_authentication(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        first = start(client)
        second = start(client)

        with pytest.raises(PaymentError) as caught:
            client.finish_3d_secure_authentication(
                second.transaction_id, pa_res(sandbox_url, first.transaction_id)
            )

        assert caught.value.reason_code == 5206


class TestAcsPage:
    def test_the_form_posts_pares_back_to_the_term_url(
        self, client: CloudPayments
    ) -> None:
        """With result=success the ACS page auto-submits MD and PaRes to TermUrl."""
        challenge = start(client)

        page = requests.post(
            challenge.acs_url,
            params={"result": "success"},
            data=challenge.redirect_params(TERM_URL),
            timeout=5,
        )

        action = re.search(r"<form method='post' action='([^']*)'", page.text)
        fields = hidden_fields(page.text)
        assert page.status_code == 200
        assert action is not None and html.unescape(action[1]) == TERM_URL
        assert ".submit()" in page.text
        assert fields["MD"] == str(challenge.transaction_id)
        transaction = client.finish_3d_secure_authentication(
            int(fields["MD"]), fields["PaRes"]
        )
        assert transaction.status == "Completed"

    def test_without_a_result_a_person_chooses(self, client: CloudPayments) -> None:
        """Without `result` the page shows two buttons and submits nothing itself."""
        challenge = start(client)

        page = requests.post(
            challenge.acs_url, data=challenge.redirect_params(TERM_URL), timeout=5
        )

        assert "Authenticate</button>" in page.text
        assert "Fail authentication</button>" in page.text
        assert ".submit()" not in page.text
        failing = re.findall(r"name='PaRes' value='([^']*)'", page.text)[1]
        with pytest.raises(PaymentError) as caught:
            client.finish_3d_secure_authentication(challenge.transaction_id, failing)
        assert caught.value.reason_code == 5206

    @pytest.mark.parametrize(
        "change",
        [
            {"TermUrl": "javascript:alert(1)"},
            {"PaReq": "not-the-pareq"},
            {"MD": "12345"},
        ],
    )
    def test_refuses_a_bad_request(
        self, client: CloudPayments, change: dict[str, str]
    ) -> None:
        challenge = start(client)

        page = requests.post(
            challenge.acs_url,
            data={**challenge.redirect_params(TERM_URL), **change},
            timeout=5,
        )

        assert page.status_code == 400
        assert "alert(1)" not in page.text

    def test_complete_refuses_a_transaction_not_awaiting(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        response = requests.post(
            f"{sandbox_url}/__sandbox/cp/acs/complete",
            json={"TransactionId": 1},
            timeout=5,
        )

        assert response.status_code == 404
        assert "error" in response.json()
