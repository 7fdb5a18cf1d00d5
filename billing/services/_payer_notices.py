"""Sending a notice to a payer: once per fact, to the address the directory gives.

The app that knows the fact (payments for a receipt, subscriptions for a failed
renewal) composes the message from its own templates; this module claims the
notice, asks the payer directory where to write, renders and sends it through
Django's e-mail backend, and records the outcome.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypedDict

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import select_template
from django.utils import translation

from billing.directory import DirectoryUnavailable, PayerContact, payer_directory
from billing.errors import DomainError
from billing.invoice_pdf import CONTENT_TYPE as PDF_CONTENT_TYPE
from billing.invoice_pdf import invoice_pdf_filename, render_invoice_pdf
from billing.models import Invoice, NoticeStatus, PayerNotice


class MailServerUnavailable(DomainError):
    """The mail server could not be reached; sending again later may succeed."""

    code = "mail_server_unavailable"
    http_status = 503


# What a task retries with backoff; any other failure is not made better by waiting.
RETRYABLE_NOTICE_ERRORS: Final = (DirectoryUnavailable, MailServerUnavailable)


class NoticeTaskRetries(TypedDict):
    autoretry_for: tuple[type[Exception], ...]
    retry_backoff: bool
    retry_backoff_max: int
    retry_jitter: bool
    max_retries: int


# How a task that sends a notice retries (`@shared_task(**NOTICE_TASK_RETRIES)`):
# only the retryable errors, five times, backing off exponentially with jitter
# (about a minute in all, at most ten minutes between two).
NOTICE_TASK_RETRIES: Final = NoticeTaskRetries(
    autoretry_for=RETRYABLE_NOTICE_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
# SMTP failures of the connection rather than of the message: a 5xx answer about a
# recipient or the content would be answered the same way on every retry.
_TRANSIENT_SMTP_ERRORS: Final = (
    smtplib.SMTPConnectError,
    smtplib.SMTPServerDisconnected,
    ConnectionError,
    TimeoutError,
)
# Locales written in a language of their own; every other locale reads English.
_TRANSLATED_LANGUAGES: Final = frozenset({"ru"})


@dataclass(frozen=True)
class NoticeAttachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class NoticeMessage:
    """A notice to render: `template` names `<template>_subject.txt`,
    `<template>.txt` and `<template>.html` (each may have a `.<language>` variant,
    such as `receipt.ru.txt`)."""

    template: str
    context: Mapping[str, Any]
    attachments: Sequence[NoticeAttachment] = field(default=())
    # An invoice whose PDF goes with the mail, rendered as it is when sent.
    invoice_id: int | None = None


def send_payer_notice(
    *,
    kind: str,
    object_key: str,
    payer_id: uuid.UUID,
    compose: Callable[[], NoticeMessage],
    now: dt.datetime,
) -> PayerNotice:
    """Send the `kind` notice about `object_key` to the payer, unless it was already.

    `compose` is called only when a mail is to be sent. A payer the directory does
    not know (or no longer knows) is recorded as SKIPPED.

    :raises DirectoryUnavailable: when the directory cannot answer; the notice is
        left PENDING for a retry.
    :raises MailServerUnavailable: when the mail server cannot be reached; the
        notice is left PENDING for a retry.
    """
    notice = _notice_for(kind, object_key, payer_id, now)
    claimed = PayerNotice.objects.filter(
        pk=notice.pk, status=NoticeStatus.PENDING
    ).update(status=NoticeStatus.SENDING)
    if not claimed:
        notice.refresh_from_db()
        return notice
    try:
        contact = payer_directory().contact(payer_id)
        if contact is not None:
            _send(contact, compose())
    except BaseException:
        PayerNotice.objects.filter(pk=notice.pk).update(status=NoticeStatus.PENDING)
        raise
    notice.status = NoticeStatus.SENT if contact else NoticeStatus.SKIPPED
    notice.settled_at = now
    notice.save(update_fields=["status", "settled_at"])
    return notice


def _notice_for(
    kind: str, object_key: str, payer_id: uuid.UUID, now: dt.datetime
) -> PayerNotice:
    lookup = {"kind": kind, "object_key": object_key}
    defaults = {"payer_id": payer_id, "created_at": now}
    try:
        with transaction.atomic():
            notice, _ = PayerNotice.objects.get_or_create(**lookup, defaults=defaults)
    except IntegrityError:
        # Another worker inserted it between the read and the write.
        notice = PayerNotice.objects.get(**lookup)
    return notice


def _send(contact: PayerContact, message: NoticeMessage) -> None:
    context = {**message.context, "contact": contact}
    language = contact.locale.split("-")[0].lower()
    subject = " ".join(
        _render(message.template, "_subject.txt", language, context).split()
    )
    email = EmailMultiAlternatives(
        subject=subject,
        body=_render(message.template, ".txt", language, context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[contact.email],
    )
    email.attach_alternative(
        _render(message.template, ".html", language, context), "text/html"
    )
    for attachment in _attachments(message):
        email.attach(attachment.filename, attachment.content, attachment.mimetype)
    try:
        email.send()
    except _TRANSIENT_SMTP_ERRORS as error:
        raise MailServerUnavailable() from error


def _attachments(message: NoticeMessage) -> list[NoticeAttachment]:
    attachments = list(message.attachments)
    if message.invoice_id is not None:
        invoice = Invoice.objects.get(id=message.invoice_id)
        attachments.append(
            NoticeAttachment(
                filename=invoice_pdf_filename(invoice),
                content=render_invoice_pdf(invoice),
                mimetype=PDF_CONTENT_TYPE,
            )
        )
    return attachments


def _render(
    template: str, suffix: str, language: str, context: Mapping[str, Any]
) -> str:
    names = [f"{template}{suffix}"]
    if language in _TRANSLATED_LANGUAGES:
        stem, dot, extension = f"{template}{suffix}".rpartition(".")
        names.insert(0, f"{stem}.{language}{dot}{extension}")
    else:
        language = "en"
    # Dates and numbers that the template formats follow its language.
    with translation.override(language):
        return select_template(names).render(dict(context))
