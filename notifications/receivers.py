"""notifications listens to reservations, billing and accounts (which must not import us)."""
from functools import partial

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from billing.money import format_money

from .models import OutboxEmail
from .reports import reports_write
from .selectors import outbox_run_figures
from .tasks import outbox_queue_due, outbox_queue_due_on_commit, send_outbox_email


def on_transmission_finished(sender, *, run, now, dry_run, **kwargs) -> None:
    """Write the night's reports, then send whatever earlier runs left unsent in the
    structure's outbox (a killed run's reports, a row a dead worker left "sending"): a rerun,
    or ``manage.py transmit`` without a broker, delivers everything pending. In a dry run the
    reports are written then rolled back with the rest, and nothing is sent."""
    reports_write(run=run)
    if not dry_run and settings.OUTBOX_AUTO_SEND:
        outbox_queue_due_on_commit(structure_id=run.structure_id, exclude_run_id=run.pk)


def on_reports_range_due(sender, *, run, family_range, first, redo=False, **kwargs) -> None:
    """A chunked night's reports, one range of families at a time (each range its own task, on
    whichever worker takes it). The first range also sends what earlier runs left unsent; a range
    redone by the watchdog, what the dead worker wrote but did not get to queue."""
    reports_write(run=run, family_range=family_range)
    if settings.OUTBOX_AUTO_SEND and (first or redo):
        transaction.on_commit(partial(outbox_queue_due, structure_id=run.structure_id,
                                      exclude_run_id=None if redo else run.pk))


def on_run_counted(sender, *, run, **kwargs) -> dict[str, int]:
    """The night's e-mail figures, counted from the outbox rows it wrote."""
    return outbox_run_figures(run_id=run.pk)


def on_invitation_ready(sender, *, invitation, link, days, **kwargs) -> OutboxEmail:
    """An invitation to choose a password: one outbox row, sent once the invitation commits."""
    family = invitation.family
    context = {"family": family, "structure": family.structure, "user": invitation.user, "link": link, "days": days}
    email = OutboxEmail.objects.create(
        family=family, kind=OutboxEmail.Kind.INVITATION, recipient=family.email.strip(),
        subject=" ".join(render_to_string("notifications/email/invitation_subject.txt", context).split()),
        body_text=render_to_string("notifications/email/invitation.txt", context),
        body_html=render_to_string("notifications/email/invitation.html", context),
    )
    if settings.OUTBOX_AUTO_SEND:
        transaction.on_commit(partial(send_outbox_email.delay, email.pk))
    return email


def on_online_payment_received(sender, *, attempt, payment, **kwargs) -> OutboxEmail:
    """The receipt of a payment made online: one outbox row in the transaction that recorded
    the Payment (both commit or neither), sent once it commits."""
    family = attempt.family
    context = {"family": family, "structure": family.structure, "attempt": attempt, "payment": payment,
               "amount": format_money(payment.amount), "history_link": settings.SITE_URL + reverse("billing:payments")}
    email = OutboxEmail.objects.create(
        family=family, kind=OutboxEmail.Kind.PAYMENT_RECEIPT, recipient=family.email.strip(),
        subject=" ".join(render_to_string("notifications/email/payment_receipt_subject.txt", context).split()),
        body_text=render_to_string("notifications/email/payment_receipt.txt", context),
        body_html=render_to_string("notifications/email/payment_receipt.html", context),
    )
    if settings.OUTBOX_AUTO_SEND:
        transaction.on_commit(partial(send_outbox_email.delay, email.pk))
    return email
