"""The report of the night: one e-mail per family with movements (seed, "Exemple de mail reçu").

Called when a transmission run has settled its structure (reservations.nightly.signals.
transmission_finished). A family's report tells every event not reported yet: the
requests and cancellation requests received, what the night made of them, waiting-list
promotions, and the staff's decisions taken during the day. Events of a run that died
half-way are told by the run that finishes its work. Per chunk of families, in one
transaction: the outbox row is written and the events get ``reported_in = run`` — a
family's events are never told twice, and the outbox row is unique per family and run.
"""
from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Child, Family
from portal.models import Structure
from reservations.models import Activity, Occurrence, Reservation, ReservationEvent, TransmissionRun

from .models import OutboxEmail

State = Reservation.State
FAMILY_CHUNK = 200
Kind = ReservationEvent.Kind
OUTCOME_ORDER = (State.ACCEPTED, State.AWAITING_DECISION, State.WAITING_LIST, State.CANCELLED, State.REFUSED)


@dataclass
class Report:
    family: Family
    structure: Structure
    counts: Counter = field(default_factory=Counter)
    rows: list = field(default_factory=list)

    @property
    def greeting(self) -> str:
        return " ".join(part for part in (self.family.civility.strip(), self.family.payer_name.strip()) if part)

    def summary(self) -> list[dict]:
        """The lines of the seed's example, only those that apply, singular and plural right."""
        counts, lines = self.counts, []
        received = counts["new_requests"] + counts["cancel_requests"]
        if received:
            sub = []
            if counts["new_requests"]:
                sub.append(ngettext("%(n)s nouvelle demande de réservation", "%(n)s nouvelles demandes de réservation",
                                    counts["new_requests"]) % {"n": counts["new_requests"]})
            if counts["cancel_requests"]:
                sub.append(ngettext("%(n)s demande d'annulation", "%(n)s demandes d'annulation",
                                    counts["cancel_requests"]) % {"n": counts["cancel_requests"]})
            lines.append({"text": ngettext(
                "%(n)s mouvement sur vos demandes de réservations a été reçu, dont :",
                "%(n)s mouvements sur vos demandes de réservations ont été reçus, dont :", received) % {"n": received},
                "sub": sub})
        texts = {
            State.ACCEPTED: lambda n: ngettext("%(n)s réservation a été acceptée", "%(n)s réservations ont été acceptées", n),
            State.AWAITING_DECISION: lambda n: ngettext(
                "%(n)s réservation est en attente de traitement par nos services",
                "%(n)s réservations sont en attente de traitement par nos services", n),
            State.WAITING_LIST: lambda n: ngettext("%(n)s réservation a été mise en liste d'attente",
                                                   "%(n)s réservations ont été mises en liste d'attente", n),
            State.CANCELLED: lambda n: ngettext("%(n)s réservation a été annulée", "%(n)s réservations ont été annulées", n),
            State.REFUSED: lambda n: ngettext("%(n)s réservation a été refusée", "%(n)s réservations ont été refusées", n),
        }
        for state in OUTCOME_ORDER:
            if counts[state]:
                sub = []
                if state == State.ACCEPTED and counts["promoted"]:
                    sub.append(ngettext(
                        "dont %(n)s place en liste d'attente qui vous a été attribuée",
                        "dont %(n)s places en liste d'attente qui vous ont été attribuées",
                        counts["promoted"]) % {"n": counts["promoted"]})
                lines.append({"text": texts[state](counts[state]) % {"n": counts[state]}, "sub": sub})
        return lines


class EventRow(NamedTuple):
    """What a report needs of one event (read with values_list: no model instances)."""

    pk: int
    family_id: int
    kind: str
    from_state: str
    to_state: str
    run_id: int | None
    actor_id: int | None
    date: datetime.date
    child: str
    activity: str


EVENT_FIELDS = ("pk", "reservation__family_id", "kind", "from_state", "to_state", "run_id", "actor_id",
                "reservation__occurrence__date", "reservation__child__first_name", "reservation__occurrence__activity__name")


def outcome_labels() -> dict:
    """The detail column's words, translated once per batch of reports."""
    return {
        "promoted": _("Acceptée : votre place en liste d'attente vous a été attribuée"),
        "staff_accepted": _("Acceptée par nos services"), "staff_refused": _("Refusée par nos services"),
        State.ACCEPTED: _("Acceptée"), State.AWAITING_DECISION: _("En attente de traitement par nos services"),
        State.WAITING_LIST: _("Mise en liste d'attente"), State.CANCELLED: _("Annulée"), State.REFUSED: _("Refusée"),
    }


def outcome_label(event: EventRow, labels: dict) -> str:
    if event.kind == Kind.PROMOTED:
        return labels["promoted"]
    if event.run_id is None and event.actor_id is not None and event.to_state in (State.ACCEPTED, State.REFUSED):
        return labels["staff_accepted" if event.to_state == State.ACCEPTED else "staff_refused"]
    return labels.get(event.to_state, event.to_state)


def reportable_events(*, run: TransmissionRun):
    """Events of the structure's families not told yet: this run's, and older ones (the
    cart's requests, staff decisions, a dead run's answers) made before this run began."""
    return ReservationEvent.objects.filter(
        reported_in__isnull=True, reservation__family__structure_id=run.structure_id,
    ).filter(Q(run=run) | Q(at__lte=run.started_at))


def report_build(*, family, structure, events: list[EventRow], labels: dict | None = None) -> Report | None:
    """The report of one family from its events (in order); None when nothing is worth telling."""
    labels = labels or outcome_labels()
    report = Report(family=family, structure=structure)
    for event in events:
        if event.kind == Kind.REQUESTED:
            report.counts["new_requests"] += 1
            continue
        if event.kind == Kind.CANCEL_REQUESTED:
            report.counts["cancel_requests"] += 1
            continue
        if event.kind == Kind.CANCELLED_BEFORE_TRANSMISSION:
            report.counts["cancel_requests"] += 1
        if event.to_state not in OUTCOME_ORDER or event.from_state == event.to_state:
            continue
        report.counts[event.to_state] += 1
        promoted = event.kind == Kind.PROMOTED
        if promoted:
            report.counts["promoted"] += 1
        report.rows.append({
            "date": event.date, "day": event.date.strftime("%d/%m/%Y"), "child": event.child,
            "activity": event.activity, "outcome": outcome_label(event, labels), "state": event.to_state,
            "promoted": promoted,
        })
    if not report.rows and not (report.counts["new_requests"] or report.counts["cancel_requests"]):
        return None
    report.rows.sort(key=lambda row: (row["date"], row["child"], row["activity"]))
    return report


def followup_url() -> str:
    try:
        return settings.SITE_URL + reverse("reservations:followup")
    except NoReverseMatch:
        return settings.SITE_URL + "/"


def report_subject(structure) -> str:
    """The subject names only the structure: rendered once per run."""
    return " ".join(render_to_string("notifications/email/report_subject.txt", {"structure": structure}).split())


def report_render(report: Report, *, link: str | None = None, subject: str | None = None) -> tuple[str, str, str]:
    """(subject, text, html) from templates/notifications/email/report_*."""
    context = {"report": report, "greeting": report.greeting, "structure": report.structure,
               "summary": report.summary(), "rows": report.rows, "followup_url": link or followup_url()}
    subject = subject or report_subject(report.structure)
    text = render_to_string("notifications/email/report.txt", context)
    html = render_to_string("notifications/email/report.html", context)
    return subject, text, html


def _claim_events(*, run: TransmissionRun, family_ids: list[int]) -> list[EventRow]:
    """Mark the families' reportable events as reported in this run and return them, in
    order. On PostgreSQL one UPDATE … RETURNING does both (inside the caller's transaction:
    if the outbox rows are not written, the marks roll back with them)."""
    if connection.vendor != "postgresql":
        events = [EventRow(*values) for values in (
            ReservationEvent.objects.filter(reported_in__isnull=True, reservation__family_id__in=family_ids)
            .filter(Q(run=run) | Q(at__lte=run.started_at))
            .order_by("reservation__family_id", "at", "id").values_list(*EVENT_FIELDS))]
        ReservationEvent.objects.filter(pk__in=[event.pk for event in events]).update(reported_in=run)
        return events
    tables = {model.__name__: model._meta.db_table for model in (ReservationEvent, Reservation)}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH told AS (
                    UPDATE {tables["ReservationEvent"]} AS e SET reported_in_id = %(run)s
                    FROM {tables["Reservation"]} AS r
                    WHERE e.reservation_id = r.id AND e.reported_in_id IS NULL AND r.family_id = ANY(%(families)s)
                      AND (e.run_id = %(run)s OR e.at <= %(started)s)
                    RETURNING e.id, r.family_id, e.kind, e.from_state, e.to_state, e.run_id, e.actor_id, e.at,
                              r.occurrence_id, r.child_id)
                SELECT told.id, told.family_id, told.kind, told.from_state, told.to_state, told.run_id, told.actor_id,
                       o.date, c.first_name, a.name
                FROM told
                JOIN {Occurrence._meta.db_table} AS o ON o.id = told.occurrence_id
                JOIN {Activity._meta.db_table} AS a ON a.id = o.activity_id
                JOIN {Child._meta.db_table} AS c ON c.id = told.child_id
                ORDER BY told.family_id, told.at, told.id""",
            {"run": run.pk, "families": list(family_ids), "started": run.started_at},
        )
        return [EventRow(*values) for values in cursor.fetchall()]


def reports_write(*, run: TransmissionRun, queue: bool = True) -> dict:
    """Write the outbox rows of a run's reports and mark the events reported; returns counts.

    Sending is queued on commit (one Celery task per e-mail) unless ``queue`` is false
    or settings.OUTBOX_AUTO_SEND is off.
    """
    from .tasks import send_outbox_email  # the task module imports this one's app only at call time

    structure = run.structure
    queue = queue and settings.OUTBOX_AUTO_SEND
    counts = Counter(emails_queued=0, emails_no_address=0)
    labels = outcome_labels()
    link = followup_url()
    subject_line = report_subject(structure)
    # One pass over the unreported events (index on reported_in) for the families to tell.
    family_ids = sorted(set(reportable_events(run=run).order_by().values_list("reservation__family_id", flat=True)
                            .distinct().iterator(chunk_size=10_000)))
    for start in range(0, len(family_ids), FAMILY_CHUNK):
        chunk = family_ids[start:start + FAMILY_CHUNK]
        with transaction.atomic():
            if connection.vendor == "postgresql":  # see reservations.nightly.settle._fast_commit
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            families = Family.objects.in_bulk(chunk)
            events_by_family = defaultdict(list)
            for event in _claim_events(run=run, family_ids=chunk):
                events_by_family[event.family_id].append(event)
            rows = []
            for family_id in chunk:
                family_events = events_by_family.get(family_id)
                if not family_events:
                    continue
                family = families[family_id]
                report = report_build(family=family, structure=structure, events=family_events, labels=labels)
                if report is None:
                    continue
                subject, text, html = report_render(report, link=link, subject=subject_line)
                recipient = (family.email or "").strip()
                rows.append(OutboxEmail(
                    family=family, run=run, kind=OutboxEmail.Kind.NIGHTLY_REPORT, recipient=recipient, subject=subject,
                    body_text=text, body_html=html,
                    status=OutboxEmail.Status.PENDING if recipient else OutboxEmail.Status.NO_ADDRESS,
                ))
                counts["emails_queued" if recipient else "emails_no_address"] += 1
            created = OutboxEmail.objects.bulk_create(rows)
            if queue:
                for email in created:
                    if email.status == OutboxEmail.Status.PENDING:
                        transaction.on_commit(partial(send_outbox_email.delay, email.pk))
    return dict(counts)
