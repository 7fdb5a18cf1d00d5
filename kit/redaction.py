"""The one redaction policy: what card data, credentials and personal data look like.

Every way out of the process applies it: log lines (`config.logs`), error reports
(`config.sentry`), gateway payloads as they are stored (`stored_payload`: only the
keys a gateway's adapter names, and of those none that `without_sensitive_keys`
drops) and shown in the admin (`redact`), and gateway texts kept in failure
messages (`redact_text`). One policy means a value hidden from one of them is
hidden from all.

What it hides:

- the value under a key that names a secret, a card identifier or personal data
  (`is_sensitive_key`): tokens, cryptograms, card numbers, CVV/CVC, 3-D Secure
  forms, passwords, API keys, signatures, cookies and sessions, the payer's name and
  e-mail;
- in any text: the value written after such a key (`"Token": "…"`, `cvv=…`), so
  a payload logged as text loses what the same payload loses as a mapping; every
  run of 12 to 19 digits (grouped or not, as a card number is written) outside a
  UUID; sandbox and real CloudPayments cryptograms (and any long base64 packet),
  CloudPayments tokens, HTTP credentials, Stripe secret and webhook keys,
  PaymentMethod ids (the tokens) and client secrets, raw or URL-encoded; and
  whatever secrets the caller names.

What it keeps: a gateway's numeric transaction ids and bank references under their
own keys, however long (`_GATEWAY_ID_KEYS`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping
from typing import Any, Final

MASK: Final = "[redacted]"

_SENSITIVE_KEY: Final = re.compile(
    r"(token|cryptogram|card_?number|card_?id|card_?payload|\bpan\b|cvv|cvc|secret|"
    r"password|passwd|"
    r"authorization|api_?key|pares|pareq|authentication_?result|session|cookie|"
    r"signature|hmac|e_?mail)",
    re.IGNORECASE,
)
# Keys that are sensitive only as a whole: a "name" is the cardholder's, while a
# "plan_name" is not; a "payment_method" is Stripe's id of a card (our token).
_SENSITIVE_WHOLE_KEYS: Final = frozenset({"name", "cardholder_name", "payment_method"})
# Card numbers are 12 to 19 digits, possibly grouped by spaces or dashes; the
# fraction of a decimal number ("succeeded in 0.012345678901234s") is not one.
_DIGIT_RUN: Final = re.compile(r"(?<!\d)(?<!\d\.)\d(?:[ -]?\d){11,18}(?!\d)")
# A UUID may hold a long run of digits; it is an identifier, never a card.
_UUID: Final = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)
# One character of base64 as it is written raw or URL-encoded (`+`, `/`, `=`).
_B64: Final = r"(?:[A-Za-z0-9+/]|%2[BbFf])"
_B64_END: Final = r"(?:=|%3[Dd]){0,2}"
_SECRET_TEXT: Final = (
    re.compile(r"sbx1:[A-Za-z0-9_\-=]+"),
    re.compile(r"\b(sk|rk|whsec)_(test|live)?_?[A-Za-z0-9]{6,}"),
    # PaymentMethod ids are the tokens; `<intent id>_secret_<…>` (PaymentIntents'
    # and SetupIntents') confirms a payment. Publishable keys (`pk_…`) are public,
    # and intent ids are references that act on nothing without the secret key.
    re.compile(r"\bpm_[A-Za-z0-9]+|\b\w+_secret_[A-Za-z0-9]+"),
    # CloudPayments card tokens: `tk_…`, and `success_<uuid>` in test mode.
    re.compile(r"\btk_[A-Za-z0-9]+|\bsuccess_[0-9a-f]{8}-[0-9a-f-]{27}"),
    # A CloudPayments cryptogram: "01", BIN, last four, expiry and key version in
    # digits, then the RSA-encrypted card as base64 (GATEWAYS.md A6); and any other
    # unbroken base64 packet long enough to be an encrypted one.
    re.compile(rf"\b\d{{16,}}{_B64}{{20,}}{_B64_END}|{_B64}{{120,}}{_B64_END}"),
)
# A key and its value as text: `"cvv": "123"`, `'Token': 'tk_1'`, `token=tk_1`;
# a value masked before is left as it is, so that masking twice changes nothing.
_KEYED_VALUE: Final = re.compile(
    r"""(?P<key>\w+)(?P<separator>["']?\s*[:=]\s*["']?)"""
    r"""(?P<value>(?!\[redacted\])[^"'\s,;&}\]]+)"""
)
_CREDENTIALS: Final = re.compile(
    r"(Bearer|Basic)\s+[A-Za-z0-9._~+/=\-]+", re.IGNORECASE
)
# What any of the patterns above needs to find in a text: a text without it is
# returned as it is after one search instead of six passes, which keeps masking
# cheap on the hot path of webhook intake (most values are amounts, codes, dates).
# It searches lower-cased ASCII text case-sensitively, three times cheaper than a
# case-insensitive search and the same for ASCII (Unicode case folding, such as
# the long s (U+017F) matching "s", is why other text takes the full path).
_MAYBE_SENSITIVE_TEXT: Final = re.compile(
    "|".join(
        (
            _SENSITIVE_KEY.pattern,  # a keyed value, `_secret_` (and its whole keys:)
            r"name|payment_method",
            r"sbx1:|\b(?:sk|rk|whsec|pm|tk|success)_",  # _SECRET_TEXT
            r"[a-z0-9+/%]{120}",  # a long base64 packet
            r"bearer|basic",  # _CREDENTIALS
            r"\d(?:[ -]?\d){11}",  # the start of a _DIGIT_RUN
        )
    )
)


# Gateways' own numeric ids: CloudPayments' are int64, sent as text in its
# form-encoded notifications, and processing parses a stored payload again, so a
# long one must survive storage whole. A run of digits under these keys is an id or a
# bank reference, never a card number.
_GATEWAY_ID_KEYS: Final = frozenset(
    {
        "transactionid",
        "paymenttransactionid",
        "originaltransactionid",
        "fallbackscenariodeclinedtransactionid",
        "rrn",
    }
)


# Payloads repeat the same few dozen key names, and a key name is no secret.
@functools.lru_cache(maxsize=1024)
def is_sensitive_key(key: str) -> bool:
    return bool(_SENSITIVE_KEY.search(key)) or key.lower() in _SENSITIVE_WHOLE_KEYS


def _is_gateway_id(key: object, value: object) -> bool:
    return (
        isinstance(key, str)
        and isinstance(value, str)
        and value.isdigit()
        and key.lower() in _GATEWAY_ID_KEYS
    )


def passes_luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def redact_text(text: str, *secrets: str | None) -> str:
    """`text` with `secrets`, keyed values, card-like digit runs, keys and
    credentials masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    if text.isascii() and not _MAYBE_SENSITIVE_TEXT.search(text.lower()):
        return text
    return _masked_patterns(text)


def _masked_patterns(text: str) -> str:
    text = _CREDENTIALS.sub(lambda match: f"{match.group(1)} {MASK}", text)
    text = _KEYED_VALUE.sub(_mask_keyed_value, text)
    for pattern in _SECRET_TEXT:
        text = pattern.sub(MASK, text)
    return _masked_digit_runs(text)


def _masked_digit_runs(text: str) -> str:
    """`text` with every card-like digit run outside a UUID masked."""
    pieces = []
    position = 0
    for uuid_match in _UUID.finditer(text):
        pieces.append(_DIGIT_RUN.sub(MASK, text[position : uuid_match.start()]))
        pieces.append(uuid_match.group(0))
        position = uuid_match.end()
    pieces.append(_DIGIT_RUN.sub(MASK, text[position:]))
    return "".join(pieces)


def _mask_keyed_value(match: re.Match[str]) -> str:
    if not is_sensitive_key(match.group("key")):
        return match.group(0)
    return f"{match.group('key')}{match.group('separator')}{MASK}"


def redact(value: Any) -> Any:
    """Copy `value` with the values of sensitive keys and sensitive text masked."""
    if isinstance(value, Mapping):
        return {
            key: MASK
            if isinstance(key, str) and is_sensitive_key(key)
            else item
            if _is_gateway_id(key, item)
            else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact(item) for item in value)
    if isinstance(value, str):
        return redact_text(value)
    return value


def without_sensitive_keys(value: Any) -> Any:
    """Copy `value` without sensitive keys at any depth and with sensitive text
    masked, for a payload to be stored.

    Stored payloads lose the keys rather than keep masked values, so that nothing
    about a secret, not even that it was sent, is written down.
    """
    if isinstance(value, Mapping):
        return {
            key: item if _is_gateway_id(key, item) else without_sensitive_keys(item)
            for key, item in value.items()
            if not (isinstance(key, str) and is_sensitive_key(key))
        }
    if isinstance(value, list):
        return [without_sensitive_keys(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def stored_payload(value: Any, *, kept: Collection[str]) -> Any:
    """Copy `value` with only the keys named in `kept`, at any depth, for a
    gateway payload to be stored; sensitive keys go even when named, and sensitive
    text is masked.

    An allow-list rather than a deny-list: what a gateway adds to its messages
    tomorrow (a phone, an address, a free-form field of the payer's) is not
    stored until it is named here, so personal data never slips in unnoticed.
    """
    return without_sensitive_keys(_kept_keys(value, kept))


def _kept_keys(value: Any, kept: Collection[str]) -> Any:
    if isinstance(value, Mapping):
        return {
            key: _kept_keys(item, kept) for key, item in value.items() if key in kept
        }
    if isinstance(value, list):
        return [_kept_keys(item, kept) for item in value]
    return value
