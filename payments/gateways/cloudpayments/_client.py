"""The official CloudPayments SDK, with what it lacks for production (GATEWAYS.md F1).

The 2021 SDK sets no timeout, ignores the HTTP status, sends `X-Request-ID` only for
refunds and cannot send `TrInitiatorCode`/`PaymentScheduled` on token payments. This
subclass adds those and nothing else: request building and answer parsing stay the
SDK's, so the code under test is the code the gateway's own clients run.

The SDK opens a new connection for every call. Here each thread keeps its own
`requests.Session` (as Stripe's SDK does), so calls reuse a kept-alive connection to
the API: no TCP (and, in production, TLS) handshake per call. A reset of a reused
connection reads as "maybe done" (`network.failure_for`), like any other reset.
"""

from __future__ import annotations

import decimal
import http.cookiejar
import os
import threading
from collections.abc import Mapping
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import requests
from cloudpayments import CloudPayments, CloudPaymentsError, PaymentError
from cloudpayments.models import Transaction
from django.core.exceptions import ImproperlyConfigured
from requests.auth import HTTPBasicAuth

from payments.gateways.base import GatewayError, OutcomeUnknown, Unavailable
from payments.gateways.network import failure_for

GATEWAY = "CloudPayments"
NOT_FOUND = "Not found"
# 502 and 504 come from proxies in front of the API: the API may have carried out
# the request before the proxy gave up on it. Other 5xx answers come from the API
# itself, which fails before processing (GATEWAYS.md A1) and replays by X-Request-ID.
_MAYBE_DONE_STATUSES = frozenset({HTTPStatus.BAD_GATEWAY, HTTPStatus.GATEWAY_TIMEOUT})

Answer = dict[str, Any]

_sessions = threading.local()


def session() -> requests.Session:
    """This thread's session to the API, made anew in a forked process.

    A forked child (a Celery worker) must not share its parent's sockets. Cookies
    are refused: each call stands alone, as it did with one connection per call.
    """
    pid = os.getpid()
    current: requests.Session | None = getattr(_sessions, "session", None)
    if current is None or getattr(_sessions, "pid", None) != pid:
        current = requests.Session()
        current.cookies.set_policy(
            http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
        )
        _sessions.session, _sessions.pid = current, pid
    return current


class CloudPaymentsClient(CloudPayments):
    """One client per gateway call, so the idempotency key travels with it."""

    def __init__(
        self,
        public_id: str,
        api_secret: str,
        *,
        url: str,
        timeout: float,
        request_id: str | None = None,
    ) -> None:
        # requests serialises `json=` with simplejson when it is installed; the
        # standard library would refuse the Decimal amounts.
        if not requests.compat.has_simplejson:
            raise ImproperlyConfigured("CloudPayments amounts need simplejson.")
        super().__init__(public_id, api_secret)
        self.URL = url if url.endswith("/") else f"{url}/"
        self._timeout = timeout
        self._request_id = request_id

    def _send_request(
        self,
        endpoint: str,
        params: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> Answer:
        """POST and parse like the SDK, with a timeout, X-Request-ID and status checks.

        :raises Unavailable: nothing was done (refused connection, 429, 5xx).
        :raises OutcomeUnknown: the request may have been carried out.
        :raises GatewayError: credentials refused, or an answer that is not the API's.
        """
        request_id = request_id or self._request_id
        headers = {"X-Request-ID": request_id} if request_id else None
        try:
            response = session().post(
                self.URL + endpoint,
                json=params,
                auth=HTTPBasicAuth(self.public_id, self.api_secret),
                headers=headers,
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            raise failure_for(exc, gateway=GATEWAY, operation=endpoint) from exc
        _check_status(response.status_code, endpoint)
        try:
            answer = response.json(parse_float=decimal.Decimal)
        except ValueError:
            raise GatewayError(
                f"{GATEWAY} {endpoint}: HTTP {response.status_code} with a body "
                "that is not JSON"
            ) from None
        if not isinstance(answer, dict) or "Success" not in answer:
            raise GatewayError(f"{GATEWAY} {endpoint}: not an API envelope")
        return answer

    def charge_token_as(
        self,
        *,
        token: str,
        account_id: str,
        amount: Decimal,
        currency: str,
        invoice_id: str,
        description: str | None,
        ip_address: str | None,
        merchant_initiated: bool,
        scheduled: bool,
        require_confirmation: bool,
    ) -> Transaction:
        """`charge_token` plus the initiator fields required since API 3.6.0.

        :raises PaymentError: the card was declined.
        :raises CloudPaymentsError: the request was refused.
        """
        params: dict[str, Any] = {
            "Amount": amount,
            "Currency": currency,
            "AccountId": account_id,
            "Token": token,
            "InvoiceId": invoice_id,
            # 0: the merchant charges a saved card on its own (renewals, retries);
            # 1: the cardholder is present and asked for the payment.
            "TrInitiatorCode": 0 if merchant_initiated else 1,
            "PaymentScheduled": 1 if scheduled else 0,
        }
        if description:
            params["Description"] = description
        if ip_address:
            params["IpAddress"] = ip_address
        endpoint = (
            "payments/tokens/auth" if require_confirmation else "payments/tokens/charge"
        )
        response = self._send_request(endpoint, params)
        if response["Success"]:
            return Transaction.from_dict(response["Model"])
        model = response.get("Model")
        if isinstance(model, dict) and "ReasonCode" in model:
            raise PaymentError(response)
        raise CloudPaymentsError(response)

    def find_payment_model(self, invoice_id: str) -> Answer | None:
        """The raw Transaction model of the latest payment for `invoice_id`, or None.

        Raw, because the SDK's `Transaction` drops `Refunded` and `Type`, and the
        SDK's `find_payment` raises on a found but declined payment.

        :raises CloudPaymentsError: the request was refused.
        """
        response = self._send_request("payments/find", {"InvoiceId": invoice_id})
        model = response.get("Model")
        if isinstance(model, dict) and (response["Success"] or "ReasonCode" in model):
            return model
        if response.get("Message") == NOT_FOUND:
            return None
        raise CloudPaymentsError(response)

    def list_page_models(self, gte: str, lte: str, page: int) -> list[Answer]:
        """One page (1-based, 100 oldest first) of the raw Transaction models created
        between `gte` and `lte` (ISO, UTC), payments and refunds alike.

        `v2/payments/list`, which the SDK lacks: its `list_payments` answers a
        whole day in one reply, however many transactions it holds.

        :raises CloudPaymentsError: the request was refused.
        """
        response = self._send_request(
            "v2/payments/list",
            {
                "CreatedDateGte": gte,
                "CreatedDateLte": lte,
                "PageNumber": page,
                "TimeZone": "UTC",
            },
        )
        models = response.get("Model")
        if not response["Success"] or not isinstance(models, list):
            raise CloudPaymentsError(response)
        return [model for model in models if isinstance(model, dict)]


def _check_status(status: int, endpoint: str) -> None:
    """:raises Unavailable, OutcomeUnknown, GatewayError: for a non-2xx status."""
    if 200 <= status < 300:
        return
    what = f"{GATEWAY} {endpoint}: HTTP {status}"
    if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
        raise GatewayError(f"{what}: check CLOUDPAYMENTS_PUBLIC_ID and API secret")
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        raise Unavailable(f"{what}: too many requests in flight")
    if status in _MAYBE_DONE_STATUSES:
        raise OutcomeUnknown(f"{what}: a proxy gave up waiting for the API")
    if status >= 500:
        raise Unavailable(f"{what}: the API failed before processing")
    raise GatewayError(what)
