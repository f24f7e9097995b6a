"""Booking calendar speed: the month page for a family with 3 children and 12 activities.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python -m bench.calendar_page
Creates its own throwaway PostgreSQL database (test_bench_calendar_<pid>) through Django's
test-database machinery, fills it with 5 000 families (≈ 10 000 children), 12 activities
over a school year of occurrences, their enrolments and ≈ 250 000 reservations
(bulk_create), then prints the median server time of the calendar pages and drops it.
Target (dev machine): calendar page ≤ 50 ms median. A figure over its target is labelled SLOW
but the exit status stays 0: the bench reports, it does not gate (an error still fails).
Options: --profile (cProfile of each page and its queries), --debug (DEBUG on, to compare).
"""
import datetime
import os
import random
import statistics
import sys
import time
from decimal import Decimal

import django
from django.conf import settings
from django.test.utils import setup_databases, teardown_databases
from django.utils import timezone

os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings_test"
django.setup()
settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_bench_calendar_{os.getpid()}"
settings.ALLOWED_HOSTS = ["*"]
# Measure as in production: no debug template engine, no query log (set before first use).
settings.DEBUG = "--debug" in sys.argv

TARGET = 0.050
FAMILIES = 5_000
ACTIVITIES = 12
RESERVATIONS = 250_000
BATCH = 5_000


ISSUE_16_CPU, ISSUE_16_QUERIES = 0.012, 10   # all activities, 3 children, 12 activities


def median_time(function, runs: int, clock=time.perf_counter) -> float:
    function()  # warm-up: templates, connections
    timings = []
    for _ in range(runs):
        start = clock()
        function()
        timings.append(clock() - start)
    return statistics.median(timings)


def school_year(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    year = today.year if today.month >= 9 else today.year - 1
    return datetime.date(year, 9, 1), datetime.date(year + 1, 7, 4)


def fill():
    from accounts.models import Child, Family, User
    from billing.models import Tariff, TariffRate, Wallet
    from portal.models import Structure
    from reservations.models import Activity, CartLine, Closure, DeadlineCutoff, DeadlineRule, Enrolment, Occurrence, Reservation

    rng = random.Random(42)
    structure = Structure.objects.create(name="Mairie de Bench", slug="bench")
    wallet = Wallet.objects.create(structure=structure, name="Accueil Périscolaire")
    rules = [
        DeadlineRule.objects.create(structure=structure, name="La veille 09:00", kind="days_before", days=1,
                                    at_time=datetime.time(9)),
        DeadlineRule.objects.create(structure=structure, name="J-2 ouvrés 12:00", kind="days_before", days=2,
                                    at_time=datetime.time(12), working_days=True),
        DeadlineRule.objects.create(structure=structure, name="Mardi 23:59", kind="weekly_cutoff"),
        DeadlineRule.objects.create(structure=structure, name="72 h", kind="hours_before", hours=72),
    ]
    DeadlineCutoff.objects.create(rule=rules[2], weekday=1, at_time=datetime.time(23, 59), covers=list(range(7)))
    start, end = school_year(timezone.localdate())
    Closure.objects.create(structure=structure, kind="school_holidays", label="Vacances de la Toussaint",
                           start_date=datetime.date(start.year, 10, 17), end_date=datetime.date(start.year, 11, 1))
    Closure.objects.create(structure=structure, kind="school_holidays", label="Vacances de Noël",
                           start_date=datetime.date(start.year, 12, 19), end_date=datetime.date(start.year + 1, 1, 3))
    activities = []
    for index in range(ACTIVITIES):
        per_time = index % 4 == 3
        tariff = Tariff.objects.create(structure=structure, name=f"Tarif {index}",
                                       kind="per_time_unit" if per_time else "flat", unit_minutes=15 if per_time else None)
        TariffRate.objects.bulk_create([
            TariffRate(tariff=tariff, valid_from=start, quotient_max=Decimal(700),
                       amount=Decimal("0.2125") if per_time else Decimal("2.10")),
            TariffRate(tariff=tariff, valid_from=start, quotient_min=Decimal(700),
                       amount=Decimal("0.3125") if per_time else Decimal("3.59")),
        ])
        activities.append(Activity.objects.create(
            structure=structure, name=f"Activité {index:02d}", wallet=wallet, tariff=tariff,
            limited_places=index % 2 == 0, default_places=40, default_waiting_places=10,
            arrival_time=datetime.time(7 + index % 10, 0), departure_time=datetime.time(8 + index % 10, 30),
            booking_rule=rules[index % 4], cancellation_rule=rules[(index + 1) % 4], position=index,
            closed_during_school_holidays=index < 10, opens_days_ahead=90 if index % 3 == 0 else None,
        ))
    occurrences = []
    day = start
    while day <= end:
        if day.weekday() < 5:
            for activity in activities:
                occurrences.append(Occurrence(activity=activity, date=day, arrival_time=activity.arrival_time,
                                              departure_time=activity.departure_time, places=40, waiting_places=10))
        day += datetime.timedelta(days=1)
    occurrences = Occurrence.objects.bulk_create(occurrences, batch_size=BATCH)

    families = Family.objects.bulk_create(
        [Family(structure=structure, number=f"{i:06d}", payer_name=f"FAMILLE{i}", quotient=Decimal(400 + (i % 9) * 150))
         for i in range(FAMILIES)], batch_size=BATCH)
    children = Child.objects.bulk_create(
        [Child(family=family, first_name=f"Enfant{i}-{k}", last_name=family.payer_name)
         for i, family in enumerate(families) for k in range(3 if i == 0 else 1 + i % 3)], batch_size=BATCH)
    enrolments = []
    for child in children:
        chosen = activities if child.family_id == families[0].id else rng.sample(activities, 4)
        enrolments += [Enrolment(child=child, activity=activity, start_date=start, end_date=end) for activity in chosen]
    Enrolment.objects.bulk_create(enrolments, batch_size=BATCH)

    by_activity = {}
    for occurrence in occurrences:
        by_activity.setdefault(occurrence.activity_id, []).append(occurrence)
    enrolled = {}
    for enrolment in enrolments:
        enrolled.setdefault(enrolment.child, []).append(enrolment.activity_id)
    submitted = datetime.datetime.combine(start, datetime.time(9), tzinfo=datetime.UTC)
    reservations, seen = [], set()
    child_list = list(enrolled)
    while len(reservations) < RESERVATIONS:
        child = rng.choice(child_list)
        occurrence = rng.choice(by_activity[rng.choice(enrolled[child])])
        if (child.id, occurrence.id) in seen:
            continue
        seen.add((child.id, occurrence.id))
        reservations.append(Reservation(
            family_id=child.family_id, child=child, occurrence=occurrence,
            state=rng.choice(["accepted", "accepted", "not_transmitted", "waiting_list"]),
            arrival_time=occurrence.arrival_time, departure_time=occurrence.departure_time,
            unit_price=Decimal("3.59"), quantity=1, cost=Decimal("3.59"), submitted_at=submitted))
    Reservation.objects.bulk_create(reservations, batch_size=BATCH)

    bench_family = families[0]
    user = User.objects.create_user("bench", password="Un-mot-de-passe-bench-1")
    bench_family.users.add(user)
    kids = list(bench_family.children.order_by("id"))
    upcoming = [occ for occ in by_activity[activities[0].id] if occ.date > timezone.localdate()][:5]
    CartLine.objects.bulk_create(
        [CartLine(family=bench_family, child=kids[0], occurrence=occ, action="book") for occ in upcoming],
        ignore_conflicts=True)
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum does in production after a bulk load
    return user, kids, activities


def main() -> int:
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        from django.db import connection
        from django.test import Client

        started = time.perf_counter()
        user, kids, activities = fill()
        print(f"data built in {time.perf_counter() - started:.0f} s: {FAMILIES} families, {ACTIVITIES} activities, "
              f"a school year of occurrences, {RESERVATIONS} reservations")
        client = Client()
        client.force_login(user)
        month = timezone.localdate().strftime("%Y-%m")
        pages = {
            "calendar, all 12 activities (aggregate)": f"/reservations/?child={kids[0].id}&month={month}",
            "calendar, one activity": f"/reservations/?child={kids[1].id}&activity={activities[0].id}&month={month}",
            "day page, 12 activities": f"/reservations/jour/{timezone.localdate():%Y-%m-%d}/?child={kids[2].id}",
        }
        for label, url in pages.items():
            def page(url=url):
                response = client.get(url)
                assert response.status_code == 200, response.status_code

            timings: list[tuple[float, str]] = []

            def timed(execute, sql, params, many, context, timings=timings):
                began = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    timings.append((time.perf_counter() - began, sql))

            page()   # the parent's second page: session and header data already warm, as on every evening
            with connection.execute_wrapper(timed):   # counted here: the request handler resets queries_log
                page()
            if "--profile" in sys.argv:
                import cProfile
                import pstats
                profiler = cProfile.Profile(time.process_time)
                profiler.runcall(page)
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(
                    r"reservations/|shortcuts|middleware|context_processors|psycopg2|sessions", 30)
                for seconds, sql in timings:
                    print(f"{seconds * 1000:7.1f} ms  {sql[:160]}")
            cpu = median_time(page, 30, clock=time.process_time)
            seconds = median_time(page, 30)
            ok = seconds <= TARGET
            print(f"{label:<42} {seconds * 1000:7.1f} ms  (Python CPU {cpu * 1000:5.1f} ms, {len(timings)} queries)  "
                  f"target ≤ {TARGET * 1000:.0f} ms  {'OK' if ok else 'SLOW'}")
            if "aggregate" in label:   # issue 16's own target for the busiest page
                reached = cpu <= ISSUE_16_CPU and len(timings) <= ISSUE_16_QUERIES
                print(f"{'':<42} issue 16: ≤ {ISSUE_16_CPU * 1000:.0f} ms of Python CPU and ≤ {ISSUE_16_QUERIES} "
                      f"queries  {'OK' if reached else 'NOT REACHED'}")
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
              "(a loaded machine inflates the wall-clock medians)")
        return 0
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
