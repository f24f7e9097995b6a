"""Reads of the follow-up page "Suivi des réservations": the family's requests of a period.

Every read is restricted to the family passed in and runs a constant number of queries
(reservations, enrolments for the age groups, closures for the deadlines, cart lines)
whatever the number of lines. Cancelling from the page adds a cancel line to the cart
(reservations.booking.cart): nothing is cancelled before the parent confirms the cart.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Subquery
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reservations.models import CartLine, Enrolment, Reservation, ReservationEvent
from reservations.nightly.plan import FAMILY_REASONS
from reservations.rules import deadlines
from reservations.rules.availability import windows
from reservations.rules.closures import closed_days
from reservations.rules.context import WORKING_DAYS_LOOKBACK, Context

State = Reservation.State
EventKind = ReservationEvent.Kind


class Kind:
    ALL = "tous"
    AWAITING = "attente_reponse"
    WAITING = "liste_attente"
    NOT_TRANSMITTED = "non_transmise"
    CANCELLED = "annulees"
    ACCEPTED = "acceptees"

    CHOICES = [
        (ALL, gettext_lazy("Tous")),
        (AWAITING, gettext_lazy("En attente réponse")),
        (WAITING, gettext_lazy("En liste d'attente")),
        (NOT_TRANSMITTED, gettext_lazy("Non transmise")),
        (CANCELLED, gettext_lazy("Annulées/Refusées")),
        (ACCEPTED, gettext_lazy("Acceptées")),
    ]
    STATES = {
        AWAITING: (State.AWAITING_DECISION,),
        WAITING: (State.WAITING_LIST,),
        NOT_TRANSMITTED: (State.NOT_TRANSMITTED,),
        CANCELLED: (State.CANCELLED, State.REFUSED),
        ACCEPTED: (State.ACCEPTED,),
    }


@dataclass
class Filters:
    start: datetime.date
    end: datetime.date
    kind: str

    @property
    def kind_label(self) -> str:
        return str(dict(Kind.CHOICES)[self.kind])

    @property
    def query(self) -> str:
        return urlencode({"du": self.start.isoformat(), "au": self.end.isoformat(), "type": self.kind})


@dataclass
class Row:
    reservation: Reservation
    child_label: str
    state_label: str
    state_code: str
    cancellable: bool
    in_cart: bool
    cancel_deadline: datetime.datetime | None

    @property
    def occurrence(self):
        return self.reservation.occurrence

    @property
    def cancel_deadline_text(self) -> str:
        """ "jeudi 3 décembre à 23:59" (a deadline at 00:00 is the end of the day before)."""
        return deadlines.format_deadline(self.cancel_deadline) if self.cancel_deadline else ""

STATE_ICONS = {
    State.NOT_TRANSMITTED: ("…", "text-bg-secondary"),
    State.AWAITING_DECISION: ("?", "text-bg-info"),
    State.WAITING_LIST: ("⧖", "text-bg-warning"),
    State.ACCEPTED: ("✓", "text-bg-success"),
    State.CANCELLED: ("✕", "text-bg-danger"),
    State.REFUSED: ("✕", "text-bg-danger"),
}


def state_label(reservation: Reservation) -> str:
    label = reservation.get_state_display()
    reason = getattr(reservation, "refusal_note", "")
    if reservation.state == State.REFUSED and reason in FAMILY_REASONS:
        label = _("%(state)s — %(reason)s") % {"state": label, "reason": _(reason)}
    if reservation.state == State.NOT_TRANSMITTED and reservation.waiting_mark:
        label = _("%(state)s — mise en liste d'attente") % {"state": label}
    if reservation.cancel_requested_at is not None and reservation.state in Reservation.LIVE_STATES:
        label = _("%(state)s — annulation demandée") % {"state": label}
    if getattr(reservation, "booked_by_structure", False):
        label = _("%(state)s — réservé par la structure") % {"state": label}
    if getattr(reservation, "cancelled_by_structure", False):
        label = _("%(state)s — annulé par la structure") % {"state": label}
    return label


def with_structure_marks(queryset):
    """Annotate reservations with whether staff booked (``booked_by_structure``) or cancelled
    (``cancelled_by_structure``) them for the family (reservations.staff.on_behalf)."""
    events = ReservationEvent.objects.filter(reservation=OuterRef("pk"), on_behalf=True)
    return queryset.annotate(
        booked_by_structure=Exists(events.filter(kind=EventKind.REQUESTED)),
        cancelled_by_structure=Exists(events.filter(
            kind__in=[EventKind.CANCELLED_BEFORE_TRANSMISSION, EventKind.CANCEL_REQUESTED])),
    )


def followup_rows(*, family, filters: Filters, now: datetime.datetime) -> list[Row]:
    """The family's reservations of the period and kind, by date; 4 queries."""
    queryset = Reservation.objects.filter(
        family=family, occurrence__date__gte=filters.start, occurrence__date__lte=filters.end,
    ).select_related(
        "child", "occurrence__activity__booking_rule", "occurrence__activity__cancellation_rule",
    ).annotate(refusal_note=Subquery(   # why the night refused it, told to the family
        ReservationEvent.objects.filter(reservation=OuterRef("pk"), to_state=State.REFUSED).order_by("-at", "-id")
        .values("note")[:1]),
    ).order_by("occurrence__date", "occurrence__activity__position", "occurrence__activity__name", "child__first_name", "id")
    queryset = with_structure_marks(queryset)
    if filters.kind in Kind.STATES:
        queryset = queryset.filter(state__in=Kind.STATES[filters.kind])
    reservations = list(queryset)
    if not reservations:
        return []

    ages: dict[tuple[int, int], list[tuple[datetime.date, datetime.date, str]]] = {}
    enrolments = Enrolment.objects.filter(
        child__family=family, child_id__in={r.child_id for r in reservations},
        activity_id__in={r.occurrence.activity_id for r in reservations},
        start_date__lte=filters.end, end_date__gte=filters.start,
    ).exclude(age_group="").values_list("child_id", "activity_id", "start_date", "end_date", "age_group")
    for child_id, activity_id, first, last, group in enrolments:
        ages.setdefault((child_id, activity_id), []).append((first, last, group))

    live = [r for r in reservations if r.state in Reservation.LIVE_STATES and r.cancel_requested_at is None]
    ctx = Context(family=family, now=now)
    in_cart = set()
    if live:
        first_day = min(r.occurrence.date for r in live)
        last_day = max(r.occurrence.date for r in live)
        ctx.closed = closed_days(structure_id=family.structure_id, start=first_day - WORKING_DAYS_LOOKBACK, end=last_day)
        in_cart = set(CartLine.objects.filter(
            family=family, action=CartLine.Action.CANCEL, occurrence_id__in={r.occurrence_id for r in live},
        ).values_list("child_id", "occurrence_id"))

    live_ids = {r.id for r in live}
    rows = []
    for reservation in reservations:
        occurrence = reservation.occurrence
        group = next((g for first, last, g in ages.get((reservation.child_id, occurrence.activity_id), ())
                      if first <= occurrence.date <= last), "")
        child_label = f"{reservation.child.first_name} {group}".strip()
        cancellable, deadline = False, None
        if reservation.id in live_ids:
            deadline = windows(ctx, occurrence).cancel_deadline
            cancellable = now <= deadline
        rows.append(Row(
            reservation=reservation, child_label=child_label, state_label=state_label(reservation),
            state_code=reservation.state, cancellable=cancellable,
            in_cart=(reservation.child_id, reservation.occurrence_id) in in_cart, cancel_deadline=deadline,
        ))
    return rows
