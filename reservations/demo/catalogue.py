"""Demo reference data of reservations: deadline rules, activities, closures, days, enrolments.

Wallets and tariffs are looked up by name (billing's demo made them) and created if
missing. Everything is get-or-create: a second run changes nothing.
"""
from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from billing.models import Tariff, TariffRate, Wallet
from reservations.models import Activity, Closure, DeadlineCutoff, DeadlineRule, Enrolment
from reservations.staff.services import occurrences_generate

T = datetime.time


SCHOOL_DAYS = (0, 1, 3, 4)      # Monday, Tuesday, Thursday, Friday
WEDNESDAY = (2,)
WEEKDAYS = (0, 1, 2, 3, 4)

RULES: dict[str, dict[str, Any]] = {
    "La veille à 09:00": {"kind": DeadlineRule.Kind.DAYS_BEFORE, "days": 1, "at_time": T(9, 0)},
    "J-2 à 12:00 hors week-end (jours ouvrés)": {"kind": DeadlineRule.Kind.DAYS_BEFORE, "days": 2, "at_time": T(12, 0),
                                                  "working_days": True},
    "Avant mardi 23:59 pour la semaine suivante": {"kind": DeadlineRule.Kind.WEEKLY_CUTOFF},
    "72 heures avant": {"kind": DeadlineRule.Kind.HOURS_BEFORE, "hours": 72},
    "15 jours pleins avant les vacances": {"kind": DeadlineRule.Kind.BEFORE_PERIOD, "days": 15},
    "Vendredi 09:00 pour lundi et mardi ; mardi 09:00 pour jeudi et vendredi": {"kind": DeadlineRule.Kind.WEEKLY_CUTOFF},
}
# Weekly rules' lines: (cut-off weekday, time, weekdays covered); 0 = Monday.
CUTOFFS = {
    "Avant mardi 23:59 pour la semaine suivante": [(1, T(23, 59), list(range(7)))],
    "Vendredi 09:00 pour lundi et mardi ; mardi 09:00 pour jeudi et vendredi": [(4, T(9, 0), [0, 1]), (1, T(9, 0), [3, 4])],
}
VEILLE, J2, MARDI, H72, VACANCES, DEUX_LIMITES = RULES

# name → wallet, tariff, days ("school", "wednesday", "holidays"), fields
CARTEVILLE_ACTIVITIES = [
    ("Restauration Scolaire", "Restauration", "Restauration Scolaire", "school", {
        "arrival_time": T(11, 45), "departure_time": T(13, 30), "booking_rule": J2, "cancellation_rule": J2}),
    ("Garderie Matin Scolaire", "Accueil Périscolaire", "Garderie", "school", {
        "arrival_time": T(7, 30), "departure_time": T(8, 30), "booking_rule": DEUX_LIMITES, "cancellation_rule": DEUX_LIMITES}),
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


def saturday_from(day: datetime.date) -> datetime.date:
    return day + datetime.timedelta(days=(5 - day.weekday()) % 7)


def school_holidays(first_year: int, last_year: int) -> list[tuple[str, datetime.date, datetime.date]]:
    """French school holidays (zone A pattern), Saturday to the Sunday before school starts again."""
    periods = []
    for year in range(first_year, last_year + 1):
        for label, month, day in (("Vacances d'hiver", 2, 7), ("Vacances de printemps", 4, 4),
                                  ("Vacances de la Toussaint", 10, 17), ("Vacances de Noël", 12, 17)):
            start = saturday_from(datetime.date(year, month, day))
            periods.append((label, start, start + datetime.timedelta(days=15)))
        summer = saturday_from(datetime.date(year, 7, 1))
        periods.append(("Vacances d'été", summer, datetime.date(year, 8, 31)))
    return sorted(periods, key=lambda p: p[1])


# --- reference data --------------------------------------------------------------------

def deadline_rules(structure) -> dict[str, DeadlineRule]:
    rules = {}
    for name, fields in RULES.items():
        rules[name], created = DeadlineRule.objects.get_or_create(structure=structure, name=name, defaults=fields)
        if created:
            DeadlineCutoff.objects.bulk_create(DeadlineCutoff(rule=rules[name], weekday=weekday, at_time=at_time, covers=covers)
                                               for weekday, at_time, covers in CUTOFFS.get(name, ()))
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


def activities(structure, specs, rules) -> dict[str, Activity]:
    activities = {}
    for position, (name, wallet, tariff, _days, fields) in enumerate(specs, start=1):
        defaults = {**fields, "position": position, "wallet": _wallet(structure, wallet), "tariff": _tariff(structure, tariff),
                    "booking_rule": rules[fields["booking_rule"]], "cancellation_rule": rules[fields["cancellation_rule"]]}
        activities[name], _ = Activity.objects.get_or_create(structure=structure, name=name, defaults=defaults)
    return activities


def closures(structure, start, end) -> list[tuple[datetime.date, datetime.date]]:
    periods = []
    for label, first, last in school_holidays(start.year - 1, end.year):
        if first <= end and last >= start:
            Closure.objects.get_or_create(structure=structure, kind=Closure.Kind.SCHOOL_HOLIDAYS, start_date=first,
                                          defaults={"label": label, "end_date": last})
            periods.append((first, last))
    return periods


def occurrences(activities, specs, *, start, end, holidays):
    for name, _wallet_name, _tariff_name, days, _fields in specs:
        activity = activities[name]
        if days == "holidays":
            for first, last in holidays:
                occurrences_generate(activity=activity, start=max(first, start), end=min(last, end), weekdays=WEEKDAYS)
        else:
            occurrences_generate(activity=activity, start=start, end=end,
                                 weekdays=SCHOOL_DAYS if days == "school" else WEDNESDAY)


def enrol(child, activity, *, start, end, age_group=""):
    enrolment, created = Enrolment.objects.get_or_create(
        child=child, activity=activity, defaults={"start_date": start, "end_date": end, "age_group": age_group})
    if not created and (enrolment.start_date > start or enrolment.end_date < end):
        enrolment.start_date, enrolment.end_date = min(enrolment.start_date, start), max(enrolment.end_date, end)
        enrolment.save(update_fields=["start_date", "end_date"])


def age_group(activity_name: str) -> str:
    return next((group for group, names in AGE_GROUPS.items() if activity_name in names), "")
