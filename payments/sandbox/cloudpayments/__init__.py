"""The CloudPayments half of the gateway sandbox (GATEWAYS.md Parts A and B)."""

from payments.sandbox.cloudpayments.cryptogram import (
    CardData,
    InvalidCryptogram,
    decode_cryptogram,
    encode_cryptogram,
)
from payments.sandbox.cloudpayments.gateway import CloudPaymentsGateway

__all__ = [
    "CardData",
    "CloudPaymentsGateway",
    "InvalidCryptogram",
    "decode_cryptogram",
    "encode_cryptogram",
]
