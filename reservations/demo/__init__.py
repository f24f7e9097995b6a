"""Demo activities, days and reservations: every calendar state of the user guide is visible.

Runs after billing/demo.py. Everything is computed from today: days from the first day
of the previous month to three months ahead, closures for the school holidays around
them (catalogue.py), and a reservation scenario (scenario.py). Idempotent: a second run
changes nothing.
"""
from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import Child, Family
from portal import dates
from portal.demo import CAMBIANES, CARTEVILLE
from portal.models import Structure
from reservations.models import Closure, Occurrence

from .catalogue import (
    CAMBIANES_ACTIVITIES,
    CARTEVILLE_ACTIVITIES,
    SCHOOL_ACTIVITIES,
    activities,
    age_group,
    closures,
    deadline_rules,
    enrol,
    occurrences,
    saturday_from,
)
from .scenario import bookings_already_in_history, cambianes_scenario, carteville_scenario


def seed(*, stdout) -> None:
    now = timezone.now()
    today = dates.today(now)
    start = today.replace(day=1) - datetime.timedelta(days=1)
    start = start.replace(day=1)                      # first day of the previous month
    end = dates.month_end(dates.add_months(today, 3))   # three months ahead
    year_start = datetime.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    year_end = datetime.date(year_start.year + 1, 8, 31)
    enrol_start, enrol_end = min(year_start, start), max(year_end, end)

    carteville = Structure.objects.get(slug=CARTEVILLE)
    cambianes = Structure.objects.get(slug=CAMBIANES)

    # CarteVille: rules, activities, closures, days.
    cv = activities(carteville, CARTEVILLE_ACTIVITIES, deadline_rules(carteville))
    cv_holidays = closures(carteville, start, end)
    pedagogic_day = saturday_from(today + datetime.timedelta(days=21)) - datetime.timedelta(days=1)   # a Friday
    # The school is closed, the town hall works: the canteen's "J-2 hors week-end" still counts that Friday.
    Closure.objects.get_or_create(structure=carteville, kind=Closure.Kind.CLOSURE, label="Journée pédagogique",
                                  defaults={"start_date": pedagogic_day, "end_date": pedagogic_day,
                                            "effect": Closure.Effect.ACTIVITIES_ONLY})
    occurrences(cv, CARTEVILLE_ACTIVITIES, start=start, end=end, holidays=cv_holidays)
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
            enrol(child, cv[name], start=enrol_start, end=enrol_end, age_group=age_group(name))
    carteville_scenario(carteville, cv, today=today, now=now, holidays=cv_holidays)

    # Les Cambianes: two activities of its own.
    cb = activities(cambianes, CAMBIANES_ACTIVITIES, deadline_rules(cambianes))
    cb_holidays = closures(cambianes, start, end)
    occurrences(cb, CAMBIANES_ACTIVITIES, start=start, end=end, holidays=cb_holidays)
    dupont_cb = Family.objects.get(structure=cambianes, number="C-0789")
    for child in dupont_cb.children.all():
        for spec in CAMBIANES_ACTIVITIES:
            enrol(child, cb[spec[0]], start=enrol_start, end=enrol_end)
    cambianes_scenario(cambianes, cb, today=today, now=now)
    for structure in (carteville, cambianes):
        bookings_already_in_history(structure, today=today, now=now)

    stdout.write(f"  réservations : {len(cv) + len(cb)} activités, journées du {start:%d/%m/%Y} au {end:%d/%m/%Y}, "
                 "demandes de démonstration pour GUIDE et DUPONT")
