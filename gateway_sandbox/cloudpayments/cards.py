"""CloudPayments' test cards and reason codes (GATEWAYS.md A5, B2).

The outcomes are the documented test-mode ones; everything here is data, so that adding
a card or a code never touches the payment logic.
"""

from __future__ import annotations

from dataclasses import dataclass

APPROVED = 0
INSUFFICIENT_FUNDS = 5051
INVALID_TRANSACTION = 5012
INVALID_CARD_NUMBER = 5014
EXPIRED_CARD = 5054
UNABLE_TO_PROCESS = 5204
AUTHENTICATION_FAILED = 5206

_CONTACT_BANK = "Свяжитесь с вашим банком или воспользуйтесь другой картой"  # noqa: RUF001
_CHECK_CARD = (
    "Проверьте правильность введенных данных карты или воспользуйтесь другой картой"
)
_TRY_LATER = "Повторите попытку позже"
_TRY_LATER_OR_OTHER_CARD = "Повторите попытку позже или воспользуйтесь другой картой"
_REFUSED_BY_SHOP = "Оплата отклонена магазином"
_SHOP_UNAVAILABLE = "Магазин временно недоступен, повторите попытку позже"


@dataclass(frozen=True, slots=True)
class ReasonCode:
    code: int
    # `Reason` is the documented name without spaces [DOC for InsufficientFunds,
    # SystemError, Approved; INFERRED for the rest].
    reason: str
    # `CardHolderMessage`: the Russian text for the payer (the SDK's ERROR_MESSAGES).
    cardholder_message: str

    @property
    def is_hard(self) -> bool:
        """Whether the docs tell recurring merchants to stop charging the token."""
        return self.code in HARD_DECLINES


# "Unconditionally negative" codes [DOC #kody-oshibok]; the others are soft and may be
# retried later (the sandbox does not enforce the documented 24 h block).
HARD_DECLINES = frozenset({5001, 5003, 5005, 5012, 5017, 5033, 5034, 5057})

REASON_CODES: dict[int, ReasonCode] = {
    entry.code: entry
    for entry in (
        ReasonCode(APPROVED, "Approved", "Оплата успешно проведена"),
        # Codes recorded when the merchant's Check notification refuses the payment.
        ReasonCode(3001, "InvalidInvoiceId", _REFUSED_BY_SHOP),
        ReasonCode(3002, "InvalidAccountId", _REFUSED_BY_SHOP),
        ReasonCode(3003, "InvalidAmount", _REFUSED_BY_SHOP),
        ReasonCode(3004, "OutOfDate", _REFUSED_BY_SHOP),
        ReasonCode(3005, "FormatError", _SHOP_UNAVAILABLE),
        ReasonCode(3006, "Unavailable", _SHOP_UNAVAILABLE),
        ReasonCode(3007, "UnableToConnect", _SHOP_UNAVAILABLE),
        ReasonCode(3008, "NotAccepted", _REFUSED_BY_SHOP),
        ReasonCode(5001, "ReferToCardIssuer", _CONTACT_BANK),
        ReasonCode(5003, "InvalidMerchant", _CONTACT_BANK),
        ReasonCode(5004, "PickUpCard", _CONTACT_BANK),
        ReasonCode(5005, "DoNotHonor", _CONTACT_BANK),
        ReasonCode(5006, "Error", _CHECK_CARD),
        ReasonCode(5007, "PickUpCardSpecialConditions", _CONTACT_BANK),
        ReasonCode(
            INVALID_TRANSACTION,
            "InvalidTransaction",
            "Воспользуйтесь другой картой или свяжитесь с банком, выпустившим карту",  # noqa: RUF001
        ),
        ReasonCode(5013, "AmountError", "Проверьте корректность суммы"),
        ReasonCode(INVALID_CARD_NUMBER, "InvalidCardNumber", _CHECK_CARD),
        ReasonCode(5015, "NoSuchIssuer", _CHECK_CARD),
        ReasonCode(5017, "CustomerCancellation", _CONTACT_BANK),
        ReasonCode(5019, "TransactionError", _CONTACT_BANK),
        ReasonCode(5030, "FormatError", _TRY_LATER),
        ReasonCode(5031, "BankNotSupportedBySwitch", "Воспользуйтесь другой картой"),
        ReasonCode(5033, "ExpiredCardPickup", _CONTACT_BANK),
        ReasonCode(5034, "SuspectedFraud", _CONTACT_BANK),
        ReasonCode(5036, "RestrictedCard", _CONTACT_BANK),
        ReasonCode(5041, "LostCard", _CONTACT_BANK),
        ReasonCode(5043, "StolenCard", _CONTACT_BANK),
        ReasonCode(
            INSUFFICIENT_FUNDS, "InsufficientFunds", "Недостаточно средств на карте"
        ),
        ReasonCode(EXPIRED_CARD, "ExpiredCard", _CHECK_CARD),
        ReasonCode(5055, "InvalidPin", _CHECK_CARD),
        ReasonCode(5057, "TransactionNotPermitted", _CONTACT_BANK),
        ReasonCode(5061, "ExceedsApprovalAmount", _CONTACT_BANK),
        ReasonCode(5063, "SecurityViolation", _CONTACT_BANK),
        ReasonCode(5065, "ExceedWithdrawalFrequency", _CONTACT_BANK),
        ReasonCode(5082, "IncorrectCVV", "Неверно указан код CVV"),
        ReasonCode(5091, "Timeout", _TRY_LATER_OR_OTHER_CARD),
        ReasonCode(5092, "CannotReachNetwork", _TRY_LATER_OR_OTHER_CARD),
        ReasonCode(5096, "SystemError", _TRY_LATER),
        ReasonCode(UNABLE_TO_PROCESS, "UnableToProcess", _CONTACT_BANK),
        ReasonCode(AUTHENTICATION_FAILED, "AuthenticationFailed", _CONTACT_BANK),
        ReasonCode(5207, "AuthenticationUnavailable", _CONTACT_BANK),
        ReasonCode(5300, "AntiFraud", "Воспользуйтесь другой картой"),
        ReasonCode(6025, "CrossTerminalTokenRestriction", _CONTACT_BANK),
    )
}


def reason_for(code: int) -> ReasonCode:
    return REASON_CODES.get(code) or ReasonCode(code, "Error", _CONTACT_BANK)


@dataclass(frozen=True, slots=True)
class Brand:
    # `CardType` text and `CardTypeCode`: Visa=0 [DOC]; the others [INFERRED].
    name: str
    code: int


VISA = Brand("Visa", 0)
MASTERCARD = Brand("MasterCard", 1)
MIR = Brand("MIR", 7)
UNKNOWN_BRAND = Brand("Unknown", -1)


def brand_of(number: str) -> Brand:
    """The payment system by BIN range, for cards outside the test table too."""
    if number.startswith("4"):
        return VISA
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return MASTERCARD
    if "2200" <= number[:4] <= "2204":
        return MIR
    return UNKNOWN_BRAND


@dataclass(frozen=True, slots=True)
class TestCard:
    # Not a test case, whatever pytest's name-based collection thinks.
    __test__ = False

    number: str
    requires_3ds: bool
    # The ReasonCode of a payment by cryptogram (after 3-D Secure when it applies).
    payment_code: int
    # The ReasonCode of later token payments; None when the first payment never
    # succeeds, so no token can exist.
    token_code: int | None

    @property
    def brand(self) -> Brand:
        return brand_of(self.number)


TEST_CARDS: dict[str, TestCard] = {
    card.number: card
    for card in (
        TestCard("4242424242424242", True, APPROVED, APPROVED),
        TestCard("5555555555554444", True, APPROVED, APPROVED),
        TestCard("2200000000000004", True, APPROVED, APPROVED),
        TestCard("4012888888881881", True, INSUFFICIENT_FUNDS, None),
        TestCard("5105105105105100", True, INSUFFICIENT_FUNDS, None),
        TestCard("2202202202202200", True, INSUFFICIENT_FUNDS, None),
        TestCard("4000000000003055", False, APPROVED, APPROVED),
        TestCard("5205000000003055", False, APPROVED, APPROVED),
        TestCard("2202000000003055", False, APPROVED, APPROVED),
        TestCard("4111111111111111", False, APPROVED, INSUFFICIENT_FUNDS),
        TestCard("5200828282828210", False, APPROVED, INSUFFICIENT_FUNDS),
        TestCard("2200000022222222", False, APPROVED, INSUFFICIENT_FUNDS),
        TestCard("4000056655665556", False, INSUFFICIENT_FUNDS, None),
        TestCard("5404000000000043", False, INSUFFICIENT_FUNDS, None),
        TestCard("2203000000000043", False, INSUFFICIENT_FUNDS, None),
    )
}
