"""Use cases of the billing core (STYLE 3.2): payers, audit, invoices, the ledger."""

from billing.services._audit import record_status_change
from billing.services._client_requests import (
    KeyTaken,
    RequestKey,
    forget_request,
    purge_client_requests,
    remember_request,
    replay_of,
)
from billing.services._invoice_drafts import InvoiceDraft, LineDraft
from billing.services._invoice_issuing import (
    NegativeInvoiceTotal,
    issue_invoice,
    issue_invoices,
)
from billing.services._invoice_payload import invoice_payload
from billing.services._invoice_settling import (
    InvoiceNotFound,
    mark_invoice_uncollectible,
    record_invoice_payment,
    void_invoice,
)
from billing.services._ledger import Leg, Posting, UnbalancedPosting, post_to_ledger
from billing.services._payer_notices import (
    NOTICE_TASK_RETRIES,
    RETRYABLE_NOTICE_ERRORS,
    MailServerUnavailable,
    NoticeAttachment,
    NoticeMessage,
    send_payer_notice,
)
from billing.services._payers import (
    PayerForgotten,
    PayerNotFound,
    ensure_payer,
    locked_payer,
    mark_payer_forgotten,
    refuse_if_forgotten,
    set_stripe_customer,
)

__all__ = [
    "NOTICE_TASK_RETRIES",
    "RETRYABLE_NOTICE_ERRORS",
    "InvoiceDraft",
    "InvoiceNotFound",
    "KeyTaken",
    "Leg",
    "LineDraft",
    "MailServerUnavailable",
    "NegativeInvoiceTotal",
    "NoticeAttachment",
    "NoticeMessage",
    "PayerForgotten",
    "PayerNotFound",
    "Posting",
    "RequestKey",
    "UnbalancedPosting",
    "ensure_payer",
    "forget_request",
    "invoice_payload",
    "issue_invoice",
    "issue_invoices",
    "locked_payer",
    "mark_invoice_uncollectible",
    "mark_payer_forgotten",
    "post_to_ledger",
    "purge_client_requests",
    "record_invoice_payment",
    "record_status_change",
    "refuse_if_forgotten",
    "remember_request",
    "replay_of",
    "send_payer_notice",
    "set_stripe_customer",
    "void_invoice",
]
