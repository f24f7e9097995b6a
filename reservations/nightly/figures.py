"""A night's figures, counted from what it left in the database — the events it wrote
(ReservationEvent.run), the bookings it posted (Reservation.posted_in) and, through the
``run_counted`` signal, the rows the layers above keep for it (the outbox) — never from
counters held in memory, which die with the process. A run killed half-way shows what it
really did once the next run takes it over, and the runs of a night killed then rerun add
up to the figures of an uninterrupted night.
"""
from __future__ import annotations

import datetime

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from billing.ledger.history import posted_source_count
from reservations.models import Reservation, ReservationEvent, TransmissionRun

from .signals import run_counted

State = Reservation.State

# The figures in the order the staff page and the transmit command show them, in French words.
LABELS = {
    "occurrences": _("journées traitées"),
    "cancelled": _("annulations appliquées"),
    "accepted": _("acceptées"),
    "awaiting_decision": _("en attente de traitement"),
    "waiting_list": _("mises en liste d'attente"),
    "refused": _("refusées"),
    "promoted": _("places attribuées depuis la liste d'attente"),
    "consumptions_posted": _("consommations passées"),
    "consumptions_not_charged": _("absences non facturées"),
    "consumptions_errors": _("consommations en erreur (voir les journaux)"),
    "emails_queued": _("e-mails mis en file"),
    "emails_no_address": _("familles sans adresse e-mail"),
}
SETTLING_KEYS = ("occurrences", "cancelled", "accepted", "awaiting_decision", "waiting_list", "refused", "promoted")


def run_figures(*, run: TransmissionRun, today: datetime.date | None = None) -> dict[str, int]:
    """The figures of one run from its rows. With ``today`` (a run that has just posted),
    also the past bookings left unposted — the posting errors, retried the next night."""
    figures = dict.fromkeys(SETTLING_KEYS, 0)
    events = ReservationEvent.objects.filter(run=run)
    for kind, to_state, number in events.order_by().values_list("kind", "to_state").annotate(number=Count("pk")):
        key = "promoted" if kind == ReservationEvent.Kind.PROMOTED else to_state
        if key in figures:
            figures[key] += number
    figures["occurrences"] = events.order_by().values("reservation__occurrence_id").distinct().count()
    posted = [f"reservation:{pk}" for pk in Reservation.objects.filter(posted_in=run).values_list("pk", flat=True)]
    charged = posted_source_count(source_keys=posted)
    figures["consumptions_posted"] = charged
    figures["consumptions_not_charged"] = len(posted) - charged
    if today is not None:
        figures["consumptions_errors"] = Reservation.objects.filter(
            family__structure_id=run.structure_id, state=State.ACCEPTED, consumption_posted_at__isnull=True,
            occurrence__date__lt=today).count()
    for _receiver, response in run_counted.send(sender=TransmissionRun, run=run):
        if isinstance(response, dict):
            figures.update(response)
    return figures


def figures_text(counts: dict) -> str:
    """"12 acceptées, 3 refusées, …": the figures that are not zero, in French words."""
    return ", ".join(f"{counts[key]} {label}" for key, label in LABELS.items() if counts.get(key))
