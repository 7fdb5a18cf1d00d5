"""PaymentMethods (GATEWAYS.md C4, C5, C6): cards, magic test ids, attach and detach.

A magic id such as `pm_card_visa` is a template: each use clones a new `pm_…` that
behaves like its test card (C5.1), so one test's card never leaks into another's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway_sandbox.stripe.cards import (
    MAGIC_PAYMENT_METHODS,
    CardRefused,
    TestCard,
    card_for_details,
)
from gateway_sandbox.stripe.encoding import Params
from gateway_sandbox.stripe.errors import (
    StripeApiError,
    invalid_parameter,
    resource_missing,
)
from gateway_sandbox.stripe.expansion import expand, read_expansions
from gateway_sandbox.stripe.ids import new_id
from gateway_sandbox.stripe.listing import list_reply
from gateway_sandbox.stripe.wire import JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.stripe.calls import Call

_DISPLAY_BRANDS = {"amex": "american_express"}
# The other payment method types the SDK can send; the sandbox simulates cards only.
_OTHER_TYPE_NAMES = """
acss_debit affirm afterpay_clearpay alipay alma amazon_pay au_becs_debit bacs_debit
bancontact billie bizum blik boleto cashapp crypto custom customer_balance eps fpx
giropay grabpay ideal interac_present kakao_pay klarna konbini kr_card link mb_way
mobilepay multibanco naver_pay nz_bank_account oxxo pay_by_bank payco paynow paypal
paypay payto pix promptpay radar_options revolut_pay samsung_pay satispay scalapay
sepa_debit sequra sofort sunbit swish twint upi us_bank_account wechat_pay zip
"""
_OTHER_TYPES = _OTHER_TYPE_NAMES.split()


def billing_details_object(params: Params | None) -> JsonObject:
    address: JsonObject = dict.fromkeys(
        ("city", "country", "line1", "line2", "postal_code", "state")
    )
    details: JsonObject = {
        "address": address,
        "email": None,
        "name": None,
        "phone": None,
        "tax_id": None,
    }
    if params is None:
        return details
    if (given := params.hash("address")) is not None:
        address.update({name: given.string(name) for name in address})
    for name in ("email", "name", "phone", "tax_id"):
        details[name] = params.string(name)
    return details


def payment_method_object(
    card: TestCard,
    *,
    created: int,
    exp_month: int,
    exp_year: int,
    billing_details: JsonObject,
    metadata: dict[str, str],
    allow_redisplay: str = "unspecified",
) -> JsonObject:
    return {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": allow_redisplay,
        "billing_details": billing_details,
        "card": {
            "brand": card.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "unchecked",
            },
            "country": card.country,
            "display_brand": _DISPLAY_BRANDS.get(card.brand, card.brand),
            "exp_month": exp_month,
            "exp_year": exp_year,
            "fingerprint": card.fingerprint,
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": created,
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": metadata,
        "type": "card",
    }


def store_card(call: Call, card: TestCard, payment_method: JsonObject) -> JsonObject:
    call.state.payment_methods[payment_method["id"]] = payment_method
    call.state.cards[payment_method["id"]] = card
    return payment_method


def resolve_payment_method(call: Call, reference: str, *, param: str) -> JsonObject:
    """The PaymentMethod named by `reference`, cloning a magic test id afresh.

    :raises StripeApiError: resource_missing for an unknown id or magic id.
    """
    existing = call.state.payment_methods.get(reference)
    if existing is not None:
        return existing
    card = MAGIC_PAYMENT_METHODS.get(reference)
    if card is None:
        raise resource_missing("PaymentMethod", reference, param=param)
    template = payment_method_object(
        card,
        created=call.timestamp,
        exp_month=call.now.month,
        exp_year=call.now.year + 2,
        billing_details=billing_details_object(None),
        metadata={},
    )
    return store_card(call, card, template)


def ensure_attachable(payment_method: JsonObject, customer_id: str) -> None:
    """:raises StripeApiError: when the card belongs to another customer (C5.2)."""
    owner = payment_method["customer"]
    if owner is not None and owner != customer_id:
        raise StripeApiError(
            400,
            "The payment method you provided has already been attached to a customer.",
            param="payment_method",
        )


def attach(call: Call, payment_method: JsonObject, customer_id: str) -> JsonObject:
    ensure_attachable(payment_method, customer_id)
    if payment_method["customer"] != customer_id:
        payment_method["customer"] = customer_id
        call.emit("payment_method.attached", payment_method)
    return payment_method


def create_card_payment_method(
    call: Call,
    *,
    number: str,
    exp_month: int,
    exp_year: int,
    cvc: str | None,
    billing_details: JsonObject,
    metadata: dict[str, str],
    allow_redisplay: str = "unspecified",
) -> JsonObject:
    """A PaymentMethod for typed-in card details (the card widget's path).

    :raises CardRefused: for details the card form refuses (C6 and card checks).
    """
    card = card_for_details(
        number=number,
        exp_month=exp_month,
        exp_year=exp_year,
        cvc=cvc,
        today=call.now.date(),
    )
    payment_method = payment_method_object(
        card,
        created=call.timestamp,
        exp_month=exp_month,
        exp_year=exp_year if exp_year >= 100 else exp_year + 2000,
        billing_details=billing_details,
        metadata=metadata,
        allow_redisplay=allow_redisplay,
    )
    return store_card(call, card, payment_method)


def card_refused_error(refused: CardRefused, *, param_prefix: str) -> StripeApiError:
    decline = refused.decline
    return StripeApiError(
        402,
        decline.message,
        type="card_error",
        code=decline.code,
        decline_code=decline.decline_code,
        param=f"{param_prefix}[{refused.param}]" if param_prefix else refused.param,
    )


def create_payment_method(call: Call) -> JsonObject:
    params = call.params
    params.required_string("type")
    if params.string("type") != "card":
        raise invalid_parameter(
            "type", "The gateway sandbox simulates card PaymentMethods only."
        )
    card_params = params.hash("card")
    if card_params is None:
        raise StripeApiError(
            400,
            "Missing required param: card.",
            code="parameter_missing",
            param="card",
            before_execution=True,
        )
    number = card_params.required_string("number")
    exp_month = card_params.integer("exp_month", required=True)
    exp_year = card_params.integer("exp_year", required=True)
    cvc = card_params.string("cvc")
    card_params.ignore("networks")
    billing_details = billing_details_object(params.hash("billing_details"))
    metadata = params.metadata_onto({}) or {}
    redisplay = params.string(
        "allow_redisplay", choices=("always", "limited", "unspecified")
    )
    paths = read_expansions(params, "payment_method")
    params.ignore("customer", "payment_method", *_OTHER_TYPES)
    params.finish()
    assert exp_month is not None and exp_year is not None

    try:
        created = create_card_payment_method(
            call,
            number=number,
            exp_month=exp_month,
            exp_year=exp_year,
            cvc=cvc,
            billing_details=billing_details,
            metadata=metadata,
            allow_redisplay=redisplay or "unspecified",
        )
    except CardRefused as refused:
        raise card_refused_error(refused, param_prefix="card") from None
    return expand(call.state, created, paths)


def retrieve_payment_method(call: Call) -> JsonObject:
    paths = read_expansions(call.params, "payment_method")
    call.params.finish()
    found = resolve_payment_method(call, call.path_args["id"], param="id")
    return expand(call.state, found, paths)


def update_payment_method(call: Call) -> JsonObject:
    params = call.params
    payment_method = call.state.payment_method(call.path_args["id"], param="id")
    metadata = params.metadata_onto(payment_method["metadata"])
    billing = params.hash("billing_details")
    billing_details = billing_details_object(billing) if billing is not None else None
    redisplay = params.string(
        "allow_redisplay", choices=("always", "limited", "unspecified")
    )
    paths = read_expansions(params, "payment_method")
    params.ignore("card", "link", "pay_by_bank", "payto", "us_bank_account")
    params.finish()

    previous: JsonObject = {}
    for name, value in (
        ("metadata", metadata),
        ("billing_details", billing_details),
        ("allow_redisplay", redisplay),
    ):
        if value is not None and value != payment_method[name]:
            previous[name] = payment_method[name]
            payment_method[name] = value
    if previous:
        call.emit("payment_method.updated", payment_method, previous)
    return expand(call.state, payment_method, paths)


def attach_payment_method(call: Call) -> JsonObject:
    params = call.params
    customer_id = params.required_string("customer")
    params.ignore("customer_account")
    paths = read_expansions(params, "payment_method")
    params.finish()

    call.state.customer(customer_id)
    payment_method = resolve_payment_method(call, call.path_args["id"], param="id")
    return expand(call.state, attach(call, payment_method, customer_id), paths)


def detach_payment_method(call: Call) -> JsonObject:
    paths = read_expansions(call.params, "payment_method")
    call.params.finish()
    payment_method = call.state.payment_method(call.path_args["id"], param="id")
    owner = payment_method["customer"]
    if owner is None:
        raise StripeApiError(
            400,
            "The payment method you provided is not attached to a customer so "
            "detachment is impossible.",
        )
    payment_method["customer"] = None
    call.state.set_up_for_off_session.discard(payment_method["id"])
    customer = call.state.customers.get(owner)
    if customer is not None:
        settings = customer["invoice_settings"]
        if settings["default_payment_method"] == payment_method["id"]:
            settings["default_payment_method"] = None
    call.emit("payment_method.detached", payment_method, {"customer": owner})
    return expand(call.state, payment_method, paths)


def list_payment_methods(call: Call) -> JsonObject:
    params = call.params
    customer_id = params.string("customer")
    kind = params.string("type")
    params.ignore("allow_redisplay", "customer_account")
    if customer_id is not None:
        call.state.customer(customer_id)
    return list_reply(
        call,
        _owned(call, customer_id, kind),
        url="/v1/payment_methods",
        kind="payment_method",
    )


def list_customer_payment_methods(call: Call) -> JsonObject:
    customer_id = call.path_args["id"]
    call.state.customer(customer_id, param="id")
    kind = call.params.string("type")
    call.params.ignore("allow_redisplay")
    return list_reply(
        call,
        _owned(call, customer_id, kind),
        url=f"/v1/customers/{customer_id}/payment_methods",
        kind="payment_method",
    )


def retrieve_customer_payment_method(call: Call) -> JsonObject:
    paths = read_expansions(call.params, "payment_method")
    call.params.finish()
    customer_id = call.path_args["id"]
    call.state.customer(customer_id, param="id")
    pm_id = call.path_args["pm"]
    payment_method = call.state.payment_methods.get(pm_id)
    if payment_method is None or payment_method["customer"] != customer_id:
        raise resource_missing("PaymentMethod", pm_id, param="id")
    return expand(call.state, payment_method, paths)


def _owned(call: Call, customer_id: str | None, kind: str | None) -> list[JsonObject]:
    return [
        pm
        for pm in call.state.payment_methods.values()
        if (customer_id is None or pm["customer"] == customer_id)
        and (kind is None or pm["type"] == kind)
    ]
