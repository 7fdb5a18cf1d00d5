"""The CloudPayments half of the gateway sandbox (GATEWAYS.md Parts A and B)."""

from gateway_sandbox.cloudpayments.cryptogram import (
    CardData,
    InvalidCryptogram,
    decode_cryptogram,
    encode_cryptogram,
)
from gateway_sandbox.cloudpayments.gateway import SimulatedCloudPayments

__all__ = [
    "CardData",
    "InvalidCryptogram",
    "SimulatedCloudPayments",
    "decode_cryptogram",
    "encode_cryptogram",
]
