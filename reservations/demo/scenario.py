"""The demo's reservation scenario: every calendar state of the user guide is visible.

Reservations for the GUIDE and DUPONT children (plus a MARTIN family without login
whose children fill places) so that the calendar shows, with an activity chosen:
closed / out of deadline, full, open with N places, full with the waiting list open,
booked (cancellable or too late), waiting-listed (cancellable or too late); and with no
activity chosen, the eight day states. The scenario is laid again only once all its
days are past.
"""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import Family
from billing.ledger.pricing import NoRateError, quote
from billing.models import Consumption
from reservations.models import Occurrence, Reservation, ReservationEvent, TransmissionRun
from reservations.rules.availability import minutes_between, windows
from reservations.rules.closures import closed_days
from reservations.rules.context import Context

from .catalogue import SCHOOL_ACTIVITIES, T

State = Reservation.State
Kind = ReservationEvent.Kind


class Scenario:
    """Books days for the demo children; every reservation has its events (answered in a demo run)."""

    def __init__(self, *, structure, now):
        self.now = now
        self.run = TransmissionRun.objects.filter(structure=structure, counts__demo=True).first()
        if self.run is None:
            # Last night's run, begun before the demo's fresh requests (two hours ago): what it
            # told is older than its start, what is fresh is newer (notifications.demo moves
            # the families' report watermarks to it).
            self.run = TransmissionRun.objects.create(structure=structure, status=TransmissionRun.Status.FINISHED,
                                                      finished_at=now, counts={"demo": True})
            self.run.started_at = now - datetime.timedelta(hours=3)
            self.run.save(update_fields=["started_at"])

    def reserve(self, child, activity, day, state, *, waiting_mark=False, cancel_requested=False, arrival=None,
                places=None, waiting_places=None):
        occurrence = Occurrence.objects.filter(activity=activity, date=day).first()
        if occurrence is None or occurrence.is_closed:
            return None
        if places is not None and (occurrence.places, occurrence.waiting_places) != (places, waiting_places):
            occurrence.places, occurrence.waiting_places = places, waiting_places
            occurrence.save(update_fields=["places", "waiting_places"])
        existing = Reservation.objects.filter(child=child, occurrence=occurrence).first()
        if existing is not None:
            return existing
        arrival = arrival or occurrence.arrival_time
        unit_price, quantity, cost = Decimal("0"), Decimal("1"), Decimal("0.00")
        if activity.tariff_id:
            minutes = minutes_between(arrival, occurrence.departure_time)
            try:
                quoted = quote(tariff=activity.tariff, quotient=child.family.quotient, on_date=day, minutes=minutes)
                unit_price, quantity, cost = quoted.unit_price, quoted.quantity, quoted.total
            except NoRateError:
                pass
        fresh = state == State.NOT_TRANSMITTED or cancel_requested
        submitted_at = self.now - datetime.timedelta(hours=2) if fresh else timezone.make_aware(
            datetime.datetime.combine(day - datetime.timedelta(days=10), T(20, 0)))
        reservation = Reservation.objects.create(
            family=child.family, child=child, occurrence=occurrence, state=state, waiting_mark=waiting_mark,
            arrival_time=arrival, departure_time=occurrence.departure_time, unit_price=unit_price, quantity=quantity,
            cost=cost, submitted_at=submitted_at,
            cancel_requested_at=self.now - datetime.timedelta(hours=1) if cancel_requested else None,
        )
        requested = ReservationEvent.objects.create(reservation=reservation, kind=Kind.REQUESTED,
                                                    to_state=State.NOT_TRANSMITTED,
                                                    note="liste d'attente" if waiting_mark else "")
        if state != State.NOT_TRANSMITTED:
            # Answered by the demo's run, so asked before it began (told: older than its start).
            ReservationEvent.objects.filter(pk=requested.pk).update(
                at=min(submitted_at, self.run.started_at - datetime.timedelta(minutes=1)))
            ReservationEvent.objects.create(reservation=reservation, kind=ReservationEvent.ANSWER_KINDS[state],
                                            from_state=State.NOT_TRANSMITTED, to_state=state, run=self.run)
        if cancel_requested:
            ReservationEvent.objects.create(reservation=reservation, kind=Kind.CANCEL_REQUESTED, from_state=state, to_state=state)
        return reservation


def _deadlines_ok(structure, activities, day, now, *, locked: bool) -> bool:
    """locked: every activity that day is past its cancellation deadline; else all still open for 2 days."""
    occurrences = list(Occurrence.objects.filter(activity__in=activities, date=day).select_related(
        "activity__booking_rule", "activity__cancellation_rule"))
    if not occurrences or any(o.is_closed for o in occurrences):
        return False
    ctx = Context(family=None, now=now)
    ctx.closed = closed_days(structure_id=structure.id, start=day - datetime.timedelta(days=60), end=day)
    margin = now + datetime.timedelta(days=2)
    for occurrence in occurrences:
        if ctx.closed.reason(occurrence.activity, day):
            return False
        window = windows(ctx, occurrence)
        if locked and window.cancel_deadline >= now:
            return False
        if not locked and (window.book_deadline <= margin or window.cancel_deadline <= margin
                           or (window.opens_at is not None and window.opens_at > now)):
            return False
    return True


def _days(activity, *, after, count=30):
    return list(Occurrence.objects.filter(activity=activity, date__gt=after, is_closed=False)
                .order_by("date").values_list("date", flat=True)[:count])


def carteville_scenario(structure, a, *, today, now, holidays):
    guide = Family.objects.get(structure=structure, number="000123")
    dupont = Family.objects.get(structure=structure, number="000456")
    if Reservation.objects.filter(family__in=[guide, dupont], occurrence__date__gte=today).exists():
        return  # laid already and still ahead of us
    emmy = guide.children.get(first_name="Emmy")
    amalia = dupont.children.get(first_name="Amalia")
    paolo = dupont.children.get(first_name="Paolo")
    martin = Family.objects.get(structure=structure, number="000789")
    lucas, lea, hugo, chloe = (martin.children.get(first_name=name) for name in ("Lucas", "Léa", "Hugo", "Chloé"))
    s = Scenario(structure=structure, now=now)
    school = [a[name] for name in SCHOOL_ACTIVITIES]

    # The past weeks: accepted (too late to cancel), one refused and one cancelled.
    for day in list(Occurrence.objects.filter(activity=a["Restauration Scolaire"], date__lt=today,
                                                      date__gte=today - datetime.timedelta(days=14)).values_list("date",
                                                                                                                 flat=True)):
        s.reserve(emmy, a["Restauration Scolaire"], day, State.ACCEPTED)
        s.reserve(paolo, a["Restauration Scolaire"], day, State.ACCEPTED)
    past_wednesdays = list(Occurrence.objects.filter(activity=a["3-6 ans - Mercredi Matin"], date__lt=today)
                           .order_by("-date").values_list("date", flat=True)[:2])
    for day, state in zip(past_wednesdays, (State.ACCEPTED, State.CANCELLED), strict=False):   # maybe fewer days
        s.reserve(paolo, a["3-6 ans - Mercredi Matin"], day, state)

    # Tomorrow-ish: booked and waiting-listed, too late to cancel (J-2 working days).
    near = next((d for d in _days(a["Restauration Scolaire"], after=today) if _deadlines_ok(structure, school, d, now,
                                                                                            locked=True)), None)
    if near is not None:
        for activity in school:
            s.reserve(emmy, activity, near, State.ACCEPTED, arrival=T(7, 15) if activity.arrival_typed else None)
        s.reserve(amalia, a["Act. 1 place"], near, State.WAITING_LIST)
        for name in ("Restauration Scolaire", "Garderie Soir Scolaire", "Gouter"):
            s.reserve(amalia, a[name], near, State.ACCEPTED)

    # Days still open: booked / waiting-listed and cancellable, full, waiting list open.
    open_days = [d for d in _days(a["Restauration Scolaire"], after=today) if _deadlines_ok(structure, school, d, now,
                                                                                            locked=False)]
    if len(open_days) >= 4:
        far, waitlist_day, full_day, cancel_day = open_days[:4]
        s.reserve(emmy, a["Act. 1 place"], far, State.ACCEPTED)
        s.reserve(emmy, a["APS MATIN"], far, State.ACCEPTED, arrival=T(7, 45))
        s.reserve(emmy, a["Restauration Scolaire"], far, State.ACCEPTED)
        s.reserve(amalia, a["Act. 1 place"], far, State.WAITING_LIST)
        s.reserve(amalia, a["Restauration Scolaire"], far, State.ACCEPTED)
        s.reserve(paolo, a["Restauration Scolaire"], far, State.NOT_TRANSMITTED)
        s.reserve(emmy, a["Act. 1 place"], waitlist_day, State.ACCEPTED)
        s.reserve(emmy, a["Garderie Soir Scolaire"], waitlist_day, State.NOT_TRANSMITTED)
        s.reserve(emmy, a["Act. 1 place"], full_day, State.ACCEPTED)
        s.reserve(hugo, a["Act. 1 place"], full_day, State.WAITING_LIST)
        s.reserve(amalia, a["Restauration Scolaire"], cancel_day, State.ACCEPTED, cancel_requested=True)

    # Wednesdays: all full (places cut to 2 by staff), full with the waiting list open, booked.
    wednesdays = [d for d in _days(a["3-6 ans - Mercredi Matin"], after=today)
                  if _deadlines_ok(structure, [a["3-6 ans - Mercredi Matin"], a["3-6 ans - Mercredi Après Midi"]], d, now,
                                   locked=False)]
    if len(wednesdays) >= 3:
        full_wednesday, waitlist_wednesday, booked_wednesday = wednesdays[:3]
        for name in ("3-6 ans - Mercredi Matin", "3-6 ans - Mercredi Après Midi"):
            for child in (lucas, lea):
                s.reserve(child, a[name], full_wednesday, State.ACCEPTED, places=2, waiting_places=0)
        for child in (lucas, lea):
            s.reserve(child, a["3-6 ans - Mercredi Après Midi"], waitlist_wednesday, State.ACCEPTED, places=2, waiting_places=2)
        s.reserve(paolo, a["3-6 ans - Mercredi Matin"], booked_wednesday, State.ACCEPTED)
        s.reserve(paolo, a["3-6 ans - Mercredi Après Midi"], booked_wednesday, State.NOT_TRANSMITTED)

    # Holidays: waiting list (as in the guide), a request awaiting the staff's decision, a refusal.
    holiday_days = _days(a["Vacances - Cambianes 6-12 ans"], after=today, count=3)
    if holiday_days:
        first = holiday_days[0]
        s.reserve(hugo, a["Vacances - Cambianes 6-12 ans"], first, State.ACCEPTED)
        s.reserve(chloe, a["Vacances - Cambianes 6-12 ans"], first, State.ACCEPTED)
        s.reserve(amalia, a["Vacances - Cambianes 6-12 ans"], first, State.WAITING_LIST)
        s.reserve(paolo, a["Vacances - Cambianes 3-6 ans"], first, State.AWAITING_DECISION)
        if len(holiday_days) > 1:
            s.reserve(amalia, a["Vacances - Cambianes 6-12 ans"], holiday_days[1], State.NOT_TRANSMITTED)
            s.reserve(paolo, a["Vacances - Cambianes 3-6 ans"], holiday_days[1], State.ACCEPTED)
    past_holiday = Occurrence.objects.filter(activity=a["Vacances - Cambianes 6-12 ans"],
                                             date__lt=today).order_by("-date").first()
    if past_holiday is not None:
        s.reserve(amalia, a["Vacances - Cambianes 6-12 ans"], past_holiday.date, State.REFUSED)


def cambianes_scenario(structure, a, *, today, now):
    dupont = Family.objects.get(structure=structure, number="C-0789")
    if Reservation.objects.filter(family=dupont, occurrence__date__gte=today).exists():
        return
    s = Scenario(structure=structure, now=now)
    wednesdays = _days(a["Mercredi journée"], after=today + datetime.timedelta(days=1), count=2)
    amalia, paolo = dupont.children.get(first_name="Amalia"), dupont.children.get(first_name="Paolo")
    for day in wednesdays[:1]:
        s.reserve(amalia, a["Mercredi journée"], day, State.ACCEPTED)
    for day in wednesdays[1:2]:
        s.reserve(paolo, a["Mercredi journée"], day, State.NOT_TRANSMITTED)


def bookings_already_in_history(structure, *, today, now) -> int:
    """Mark as posted the past accepted bookings that billing's demo history already charges.

    The demo's history (billing.demo) charges the school days up to yesterday; the night
    posts the accepted bookings of past days. Without this, a day booked in the scenario
    was charged twice after ``manage.py transmit``. The history stops where the night's
    postings start: a day is charged by one of them, never both (billing.demo skips the
    days the night has posted already). Returns how many bookings were marked.
    """
    pending = list(Reservation.objects.filter(
        family__structure=structure, state=State.ACCEPTED, consumption_posted_at__isnull=True, occurrence__date__lt=today,
    ).values_list("pk", "family_id", "child_id", "occurrence__date", "occurrence__activity__name"))
    if not pending:
        return 0
    charged = set(Consumption.objects.filter(
        family__structure=structure, source_key__startswith="demo:", day__gte=min(row[3] for row in pending), day__lt=today,
    ).values_list("family_id", "child_id", "day", "activity_label"))
    settled = [pk for pk, *key in pending if tuple(key) in charged]
    return Reservation.objects.filter(pk__in=settled).update(consumption_posted_at=now)
