"""Demo activities, days and reservations: every calendar state of the user guide is visible.

Runs after billing/demo.py (wallets and tariffs are looked up by name, and created if
missing). Everything is computed from today: days from the first day of the previous
month to three months ahead, closures for the school holidays around them, and a
reservation scenario for the GUIDE and DUPONT children (plus a MARTIN family without
login whose children fill places) so that the calendar shows, with an activity chosen:
closed / out of deadline, full, open with N places, full with the waiting list open,
booked (cancellable or too late), waiting-listed (cancellable or too late); and with no
activity chosen, the eight day states. Idempotent: a second run changes nothing, and the
scenario is laid again only once all its days are past.
"""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import Child, Family
from billing.models import Tariff, TariffRate, Wallet
from billing.pricing import NoRateError, quote
from portal.demo import CAMBIANES, CARTEVILLE
from portal.models import Structure

from .availability import Context, windows
from .closures import closed_days
from .models import (
    Activity, Closure, DeadlineRule, Enrolment, Occurrence, Reservation, ReservationEvent, TransmissionRun,
)
from .services_staff import occurrences_generate

State = Reservation.State
T = datetime.time
SCHOOL_DAYS = (0, 1, 3, 4)      # Monday, Tuesday, Thursday, Friday
WEDNESDAY = (2,)
WEEKDAYS = (0, 1, 2, 3, 4)

RULES = {
    "La veille à 09:00": {"kind": DeadlineRule.Kind.DAYS_BEFORE, "days": 1, "at_time": T(9, 0)},
    "J-2 à 12:00 hors week-end (jours ouvrés)": {"kind": DeadlineRule.Kind.DAYS_BEFORE, "days": 2, "at_time": T(12, 0),
                                                  "working_days": True},
    "Avant mardi 23:59 pour la semaine suivante": {"kind": DeadlineRule.Kind.WEEKLY_CUTOFF, "weekday": 1, "at_time": T(23, 59)},
    "72 heures avant": {"kind": DeadlineRule.Kind.HOURS_BEFORE, "hours": 72},
    "15 jours pleins avant les vacances": {"kind": DeadlineRule.Kind.BEFORE_PERIOD, "days": 15},
}
VEILLE, J2, MARDI, H72, VACANCES = RULES

# name → wallet, tariff, days ("school", "wednesday", "holidays"), fields
CARTEVILLE_ACTIVITIES = [
    ("Restauration Scolaire", "Restauration", "Restauration Scolaire", "school", {
        "arrival_time": T(11, 45), "departure_time": T(13, 30), "booking_rule": J2, "cancellation_rule": J2}),
    ("Garderie Matin Scolaire", "Accueil Périscolaire", "Garderie", "school", {
        "arrival_time": T(7, 30), "departure_time": T(8, 30), "booking_rule": VEILLE, "cancellation_rule": J2}),
    ("Garderie Soir Scolaire", "Accueil Périscolaire", "Garderie", "school", {
        "arrival_time": T(16, 30), "departure_time": T(18, 30), "booking_rule": VEILLE, "cancellation_rule": J2}),
    ("Gouter", "Accueil Périscolaire", "Gouter", "school", {
        "arrival_time": T(16, 30), "departure_time": T(16, 45), "booking_rule": VEILLE, "cancellation_rule": J2}),
    ("APS MATIN", "Accueil Périscolaire", "APS MATIN", "school", {
        "arrival_time": T(6, 30), "departure_time": T(8, 45), "arrival_typed": True, "arrival_earliest": T(6, 30),
        "arrival_latest": T(8, 45), "booking_rule": H72, "cancellation_rule": H72}),
    ("3-6 ans - Mercredi Matin", "Accueil de Loisirs", "Mercredi demi-journée", "wednesday", {
        "arrival_time": T(7, 30), "departure_time": T(12, 0), "limited_places": True, "default_places": 12,
        "default_waiting_places": 3, "booking_rule": MARDI, "cancellation_rule": MARDI}),
    ("3-6 ans - Mercredi Après Midi", "Accueil de Loisirs", "Mercredi demi-journée", "wednesday", {
        "arrival_time": T(13, 30), "departure_time": T(18, 30), "limited_places": True, "default_places": 8,
        "default_waiting_places": 2, "booking_rule": MARDI, "cancellation_rule": MARDI}),
    ("Vacances - Cambianes 3-6 ans", "Accueil de Loisirs", "Vacances journée", "holidays", {
        "arrival_time": T(7, 0), "departure_time": T(19, 0), "limited_places": True, "default_places": 10,
        "default_waiting_places": 3, "needs_staff_decision": True, "booking_rule": VACANCES, "cancellation_rule": VACANCES,
        "opens_days_ahead": 60, "closed_during_school_holidays": False}),
    ("Vacances - Cambianes 6-12 ans", "Accueil de Loisirs", "Vacances journée", "holidays", {
        "arrival_time": T(7, 0), "departure_time": T(19, 0), "limited_places": True, "default_places": 2,
        "default_waiting_places": 1, "booking_rule": VACANCES, "cancellation_rule": VACANCES,
        "opens_days_ahead": 60, "closed_during_school_holidays": False}),
    ("Act. 1 place", "Accueil de Loisirs", None, "school", {
        "arrival_time": T(6, 30), "departure_time": T(18, 30), "limited_places": True, "default_places": 1,
        "default_waiting_places": 1, "booking_rule": VEILLE, "cancellation_rule": J2}),
]
CAMBIANES_ACTIVITIES = [
    ("Mercredi journée", "Accueil de Loisirs", "Mercredi journée", "wednesday", {
        "arrival_time": T(8, 0), "departure_time": T(18, 0), "limited_places": True, "default_places": 20,
        "default_waiting_places": 5, "booking_rule": VEILLE, "cancellation_rule": VEILLE}),
    ("Vacances - journée", "Accueil de Loisirs", "Vacances journée", "holidays", {
        "arrival_time": T(8, 0), "departure_time": T(18, 0), "limited_places": True, "default_places": 24,
        "default_waiting_places": 6, "booking_rule": VACANCES, "cancellation_rule": VACANCES, "opens_days_ahead": 60,
        "closed_during_school_holidays": False}),
]
AGE_GROUPS = {"3-6": ("3-6 ans - Mercredi Matin", "3-6 ans - Mercredi Après Midi", "Vacances - Cambianes 3-6 ans"),
              "6-12": ("Vacances - Cambianes 6-12 ans", "Act. 1 place")}
SCHOOL_ACTIVITIES = ("Restauration Scolaire", "Garderie Matin Scolaire", "Garderie Soir Scolaire", "Gouter", "APS MATIN",
                     "Act. 1 place")


# --- calendar helpers ------------------------------------------------------------------

def _saturday_from(day: datetime.date) -> datetime.date:
    return day + datetime.timedelta(days=(5 - day.weekday()) % 7)


def school_holidays(first_year: int, last_year: int) -> list[tuple[str, datetime.date, datetime.date]]:
    """French school holidays (zone A pattern), Saturday to the Sunday before school starts again."""
    periods = []
    for year in range(first_year, last_year + 1):
        for label, month, day in (("Vacances d'hiver", 2, 7), ("Vacances de printemps", 4, 4),
                                  ("Vacances de la Toussaint", 10, 17), ("Vacances de Noël", 12, 17)):
            start = _saturday_from(datetime.date(year, month, day))
            periods.append((label, start, start + datetime.timedelta(days=15)))
        summer = _saturday_from(datetime.date(year, 7, 1))
        periods.append(("Vacances d'été", summer, datetime.date(year, 8, 31)))
    return sorted(periods, key=lambda p: p[1])


def _month_end(day: datetime.date, months_ahead: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months_ahead + 1
    return datetime.date(index // 12, index % 12 + 1, 1) - datetime.timedelta(days=1)


# --- reference data --------------------------------------------------------------------

def _rules(structure) -> dict[str, DeadlineRule]:
    rules = {}
    for name, fields in RULES.items():
        rules[name], _ = DeadlineRule.objects.get_or_create(structure=structure, name=name, defaults=fields)
    return rules


def _wallet(structure, name) -> Wallet:
    return Wallet.objects.filter(structure=structure, name=name).first() or Wallet.objects.create(
        structure=structure, name=name, mode=Wallet.Mode.PREPAID)


def _tariff(structure, name) -> Tariff | None:
    if name is None:
        return None
    tariff = Tariff.objects.filter(structure=structure, name=name).first()
    if tariff is None:
        per_time = name in ("Garderie", "APS MATIN")
        tariff = Tariff.objects.create(structure=structure, name=name,
                                       kind=Tariff.Kind.PER_TIME_UNIT if per_time else Tariff.Kind.FLAT,
                                       unit_minutes=15 if per_time else None)
        TariffRate.objects.create(tariff=tariff, valid_from=datetime.date(2016, 9, 1),
                                  amount=Decimal("0.45") if per_time else Decimal("3.59"))
    return tariff


def _activities(structure, specs, rules) -> dict[str, Activity]:
    activities = {}
    for position, (name, wallet, tariff, _days, fields) in enumerate(specs, start=1):
        defaults = {**fields, "position": position, "wallet": _wallet(structure, wallet), "tariff": _tariff(structure, tariff),
                    "booking_rule": rules[fields["booking_rule"]], "cancellation_rule": rules[fields["cancellation_rule"]]}
        activities[name], _ = Activity.objects.get_or_create(structure=structure, name=name, defaults=defaults)
    return activities


def _closures(structure, start, end) -> list[tuple[datetime.date, datetime.date]]:
    periods = []
    for label, first, last in school_holidays(start.year - 1, end.year):
        if first <= end and last >= start:
            Closure.objects.get_or_create(structure=structure, kind=Closure.Kind.SCHOOL_HOLIDAYS, start_date=first,
                                          defaults={"label": label, "end_date": last})
            periods.append((first, last))
    return periods


def _occurrences(activities, specs, *, start, end, holidays):
    for name, _wallet_name, _tariff_name, days, _fields in specs:
        activity = activities[name]
        if days == "holidays":
            for first, last in holidays:
                occurrences_generate(activity=activity, start=max(first, start), end=min(last, end), weekdays=WEEKDAYS)
        else:
            occurrences_generate(activity=activity, start=start, end=end,
                                 weekdays=SCHOOL_DAYS if days == "school" else WEDNESDAY)


def _enrol(child, activity, *, start, end, age_group=""):
    enrolment, created = Enrolment.objects.get_or_create(
        child=child, activity=activity, defaults={"start_date": start, "end_date": end, "age_group": age_group})
    if not created and (enrolment.start_date > start or enrolment.end_date < end):
        enrolment.start_date, enrolment.end_date = min(enrolment.start_date, start), max(enrolment.end_date, end)
        enrolment.save(update_fields=["start_date", "end_date"])


def _age_group(activity_name: str) -> str:
    return next((group for group, names in AGE_GROUPS.items() if activity_name in names), "")


# --- the reservation scenario ----------------------------------------------------------

class Scenario:
    """Books days for the demo children; every reservation has its events (told in a demo run)."""

    def __init__(self, *, structure, now):
        self.now = now
        self.run = (TransmissionRun.objects.filter(structure=structure, counts__demo=True).first()
                    or TransmissionRun.objects.create(structure=structure, status=TransmissionRun.Status.FINISHED,
                                                      finished_at=now, counts={"demo": True}))

    def reserve(self, child, activity, day, state, *, waiting_mark=False, cancel_requested=False, arrival=None,
                places=None, waiting_places=None):
        occurrence = Occurrence.objects.filter(activity=activity, date=day).first()
        if occurrence is None or occurrence.is_cancelled:
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
            minutes = (occurrence.departure_time.hour * 60 + occurrence.departure_time.minute) - (arrival.hour * 60 + arrival.minute)
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
            cost=cost, submitted_at=submitted_at, cancel_requested_at=self.now - datetime.timedelta(hours=1) if cancel_requested else None,
        )
        told = None if state == State.NOT_TRANSMITTED else self.run
        ReservationEvent.objects.create(reservation=reservation, kind="requested", to_state=State.NOT_TRANSMITTED,
                                        note="liste d'attente" if waiting_mark else "", reported_in=told)
        if state != State.NOT_TRANSMITTED:
            ReservationEvent.objects.create(reservation=reservation, kind=str(state), from_state=State.NOT_TRANSMITTED,
                                            to_state=state, run=self.run, reported_in=self.run)
        if cancel_requested:
            ReservationEvent.objects.create(reservation=reservation, kind="cancel_requested", from_state=state, to_state=state)
        return reservation


def _deadlines_ok(structure, activities, day, now, *, locked: bool) -> bool:
    """locked: every activity that day is past its cancellation deadline; else all still open for 2 days."""
    occurrences = list(Occurrence.objects.filter(activity__in=activities, date=day).select_related(
        "activity__booking_rule", "activity__cancellation_rule"))
    if not occurrences or any(o.is_cancelled for o in occurrences):
        return False
    ctx = Context(family=None, now=now)
    ctx.closed = closed_days(structure_id=structure.id, start=day - datetime.timedelta(days=60), end=day)
    margin = now + datetime.timedelta(days=2)
    for occurrence in occurrences:
        if ctx.closed.reason(occurrence.activity, day):
            return False
        opens_at, book, cancel = windows(ctx, occurrence)
        if locked and cancel >= now:
            return False
        if not locked and (book <= margin or cancel <= margin or (opens_at is not None and opens_at > now)):
            return False
    return True


def _days(activity, *, after, count=30):
    return list(Occurrence.objects.filter(activity=activity, date__gt=after, is_cancelled=False)
                .order_by("date").values_list("date", flat=True)[:count])


def _carteville_scenario(structure, a, *, today, now, holidays):
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
    for day in [d for d in Occurrence.objects.filter(activity=a["Restauration Scolaire"], date__lt=today,
                                                      date__gte=today - datetime.timedelta(days=14)).values_list("date", flat=True)]:
        s.reserve(emmy, a["Restauration Scolaire"], day, State.ACCEPTED)
        s.reserve(paolo, a["Restauration Scolaire"], day, State.ACCEPTED)
    past_wednesdays = list(Occurrence.objects.filter(activity=a["3-6 ans - Mercredi Matin"], date__lt=today)
                           .order_by("-date").values_list("date", flat=True)[:2])
    for day, state in zip(past_wednesdays, (State.ACCEPTED, State.CANCELLED)):
        s.reserve(paolo, a["3-6 ans - Mercredi Matin"], day, state)

    # Tomorrow-ish: booked and waiting-listed, too late to cancel (J-2 working days).
    near = next((d for d in _days(a["Restauration Scolaire"], after=today) if _deadlines_ok(structure, school, d, now, locked=True)), None)
    if near is not None:
        for activity in school:
            s.reserve(emmy, activity, near, State.ACCEPTED, arrival=T(7, 15) if activity.arrival_typed else None)
        s.reserve(amalia, a["Act. 1 place"], near, State.WAITING_LIST)
        for name in ("Restauration Scolaire", "Garderie Soir Scolaire", "Gouter"):
            s.reserve(amalia, a[name], near, State.ACCEPTED)

    # Days still open: booked / waiting-listed and cancellable, full, waiting list open.
    open_days = [d for d in _days(a["Restauration Scolaire"], after=today) if _deadlines_ok(structure, school, d, now, locked=False)]
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
                  if _deadlines_ok(structure, [a["3-6 ans - Mercredi Matin"], a["3-6 ans - Mercredi Après Midi"]], d, now, locked=False)]
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
    past_holiday = Occurrence.objects.filter(activity=a["Vacances - Cambianes 6-12 ans"], date__lt=today).order_by("-date").first()
    if past_holiday is not None:
        s.reserve(amalia, a["Vacances - Cambianes 6-12 ans"], past_holiday.date, State.REFUSED)


def _cambianes_scenario(structure, a, *, today, now):
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


# --- entry point -----------------------------------------------------------------------

def seed(*, stdout) -> None:
    now = timezone.now()
    today = timezone.localdate(now)
    start = today.replace(day=1) - datetime.timedelta(days=1)
    start = start.replace(day=1)                      # first day of the previous month
    end = _month_end(today, 3)                        # three months ahead
    year_start = datetime.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    year_end = datetime.date(year_start.year + 1, 8, 31)
    enrol_start, enrol_end = min(year_start, start), max(year_end, end)

    carteville = Structure.objects.get(slug=CARTEVILLE)
    cambianes = Structure.objects.get(slug=CAMBIANES)

    # CarteVille: rules, activities, closures, days.
    cv = _activities(carteville, CARTEVILLE_ACTIVITIES, _rules(carteville))
    cv_holidays = _closures(carteville, start, end)
    pedagogic_day = _saturday_from(today + datetime.timedelta(days=21)) - datetime.timedelta(days=1)   # a Friday
    Closure.objects.get_or_create(structure=carteville, kind=Closure.Kind.CLOSURE, label="Journée pédagogique",
                                  defaults={"start_date": pedagogic_day, "end_date": pedagogic_day})
    _occurrences(cv, CARTEVILLE_ACTIVITIES, start=start, end=end, holidays=cv_holidays)
    # Days generated before the closure was decided: they stay, shown as closed.
    pedagogic = Closure.objects.get(structure=carteville, kind=Closure.Kind.CLOSURE, label="Journée pédagogique")
    if not any(first <= pedagogic.start_date <= last for first, last in cv_holidays):
        for name in SCHOOL_ACTIVITIES:
            activity = cv[name]
            Occurrence.objects.get_or_create(activity=activity, date=pedagogic.start_date, defaults={
                "arrival_time": activity.arrival_time, "departure_time": activity.departure_time,
                "places": activity.default_places, "waiting_places": activity.default_waiting_places})

    # Who may book what.
    guide = Family.objects.get(structure=carteville, number="000123")
    dupont = Family.objects.get(structure=carteville, number="000456")
    martin, _ = Family.objects.get_or_create(structure=carteville, number="000789", defaults={
        "payer_name": "MARTIN Sophie", "civility": "Mme", "quotient": Decimal("540"), "email": "s.martin@example.org"})
    for first_name, birth in (("Lucas", datetime.date(2020, 4, 2)), ("Léa", datetime.date(2021, 9, 9)),
                              ("Hugo", datetime.date(2016, 2, 11)), ("Chloé", datetime.date(2017, 7, 30))):
        Child.objects.get_or_create(family=martin, first_name=first_name, defaults={"last_name": "MARTIN", "birth_date": birth})
    plan = {
        (guide, "Emmy"): ["Restauration Scolaire", "Garderie Matin Scolaire", "Garderie Soir Scolaire", "Gouter", "APS MATIN",
                          "Act. 1 place", "Vacances - Cambianes 6-12 ans"],
        (dupont, "Amalia"): ["Restauration Scolaire", "Garderie Soir Scolaire", "Gouter", "APS MATIN", "Act. 1 place",
                             "Vacances - Cambianes 6-12 ans"],
        (dupont, "Paolo"): ["Restauration Scolaire", "Garderie Matin Scolaire", "Garderie Soir Scolaire", "Gouter",
                            "3-6 ans - Mercredi Matin", "3-6 ans - Mercredi Après Midi", "Vacances - Cambianes 3-6 ans"],
        (martin, "Lucas"): ["3-6 ans - Mercredi Matin", "3-6 ans - Mercredi Après Midi", "Vacances - Cambianes 3-6 ans"],
        (martin, "Léa"): ["3-6 ans - Mercredi Matin", "3-6 ans - Mercredi Après Midi", "Vacances - Cambianes 3-6 ans"],
        (martin, "Hugo"): ["Act. 1 place", "Vacances - Cambianes 6-12 ans"],
        (martin, "Chloé"): ["Act. 1 place", "Vacances - Cambianes 6-12 ans"],
    }
    for (family, first_name), names in plan.items():
        child = family.children.get(first_name=first_name)
        for name in names:
            _enrol(child, cv[name], start=enrol_start, end=enrol_end, age_group=_age_group(name))
    _carteville_scenario(carteville, cv, today=today, now=now, holidays=cv_holidays)

    # Les Cambianes: two activities of its own.
    cb = _activities(cambianes, CAMBIANES_ACTIVITIES, _rules(cambianes))
    cb_holidays = _closures(cambianes, start, end)
    _occurrences(cb, CAMBIANES_ACTIVITIES, start=start, end=end, holidays=cb_holidays)
    dupont_cb = Family.objects.get(structure=cambianes, number="C-0789")
    for child in dupont_cb.children.all():
        for name in CAMBIANES_ACTIVITIES:
            _enrol(child, cb[name[0]], start=enrol_start, end=enrol_end)
    _cambianes_scenario(cambianes, cb, today=today, now=now)

    stdout.write(f"  réservations : {len(cv) + len(cb)} activités, journées du {start:%d/%m/%Y} au {end:%d/%m/%Y}, "
                 "demandes de démonstration pour GUIDE et DUPONT")
