"""What of a CloudPayments notification is stored (GATEWAYS.md B3).

The money and its state, our references, the masked card, the decline reason and
the gateway's ids. Left out: the payer's name (`Name`), e-mail, phone, IP address
and its location, the merchant's and payer's free-form fields (`Description`,
`Data`, `JsonData`, `CustomFields`), the card token and card identifiers.
"""

from __future__ import annotations

from typing import Final

STORED_KEYS: Final = frozenset(
    {
        # Identity of the transaction and of what it pays.
        "TransactionId",
        "PaymentTransactionId",
        "InvoiceId",
        "AccountId",
        "SubscriptionId",
        "OperationType",
        "Status",
        "DateTime",
        "TestMode",
        "GatewayName",
        # Money.
        "Amount",
        "Currency",
        "PaymentAmount",
        "PaymentCurrency",
        "TotalFee",
        "VatAboveTotalFee",
        "ProcessorAndPartnerFee",
        "VatWithinProcessorFee",
        # Why a payment failed.
        "Reason",
        "ReasonCode",
        "RetryAfter",
        "FallBackScenarioDeclinedTransactionId",
        # The masked card and its bank.
        "CardFirstSix",
        "CardLastFour",
        "CardType",
        "CardExpDate",
        "CardProduct",
        "Issuer",
        "IssuerBankCountry",
        "AuthCode",
        "Rrn",
        # Recurrent: the gateway's subscription and its schedule.
        "Id",
        "Interval",
        "Period",
        "StartDate",
        "MaxPeriods",
        "RequireConfirmation",
        "SuccessfulTransactionsNumber",
        "FailedTransactionsNumber",
        "LastTransactionDate",
        "NextTransactionDate",
    }
)
