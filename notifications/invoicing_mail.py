"""E-mails about invoices (billing.invoicing's signals): a returned direct debit, a reminder of an
unpaid invoice, a tax certificate ready. One outbox row each, sent once the transaction commits."""
from __future__ import annotations

from functools import partial

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from billing.money import format_money

from .models import OutboxEmail
from .tasks import send_outbox_email


def _queue(*, family, kind: str, template: str, context: dict) -> OutboxEmail:
    context = {"family": family, "structure": family.structure, **context}
    email = OutboxEmail.objects.create(
        family=family, kind=kind, recipient=family.email.strip(),
        subject=" ".join(render_to_string(f"notifications/email/{template}_subject.txt", context).split()),
        body_text=render_to_string(f"notifications/email/{template}.txt", context),
        body_html=render_to_string(f"notifications/email/{template}.html", context),
    )
    if settings.OUTBOX_AUTO_SEND:
        transaction.on_commit(partial(send_outbox_email.delay, email.pk))
    return email


def _invoices_link() -> str:
    return settings.SITE_URL + reverse("billing:invoices")


def on_debit_returned(sender, *, debit, invoice, **kwargs) -> OutboxEmail:
    return _queue(family=invoice.family, kind=OutboxEmail.Kind.DEBIT_RETURNED, template="debit_returned", context={
        "invoice": invoice, "amount": format_money(debit.amount), "reason": debit.return_reason, "link": _invoices_link()})


def on_invoice_reminder_due(sender, *, reminder, invoice, **kwargs) -> OutboxEmail:
    return _queue(family=invoice.family, kind=OutboxEmail.Kind.INVOICE_REMINDER, template="invoice_reminder", context={
        "invoice": invoice, "level": reminder.level, "amount": format_money(reminder.amount_due),
        "link": _invoices_link()})


def on_tax_certificate_ready(sender, *, certificate, link, **kwargs) -> OutboxEmail:
    return _queue(family=certificate.family, kind=OutboxEmail.Kind.TAX_CERTIFICATE, template="tax_certificate", context={
        "certificate": certificate, "amount": format_money(certificate.amount), "link": settings.SITE_URL + link})
