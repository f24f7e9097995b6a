"""Attendance speed: the page of one day of an activity with 400 children, and its printed list.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python -m bench.attendance
Creates its own throwaway PostgreSQL database (test_bench_attendance_<pid>), fills it, measures,
prints the medians and drops it. Target (dev machine): page ≤ 150 ms median; the PDF is printed
for information (a printed list is made once a morning). A figure over its target is labelled
SLOW but the exit status stays 0: the bench reports, it does not gate (an error still fails).
Option: --profile (cProfile of one page, by cumulative time).
"""
import cProfile
import datetime
import os
import pstats
import statistics
import sys
import time

import django
from django.conf import settings
from django.test.utils import setup_databases, teardown_databases
from django.utils import timezone

os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings_test"
django.setup()
settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_bench_attendance_{os.getpid()}"
settings.ALLOWED_HOSTS = ["*"]
# Measure as in production: no debug template engine, no query log (set before first use).
settings.DEBUG = False

CHILDREN = 400
TARGET_PAGE = 0.150
GROUPS = ["PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2"]


def median_time(function, runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU time (CPU varies less on a busy shared machine)."""
    function()  # warm-up: templates, fonts, connections
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def fill():
    from accounts.models import Child, Family, StaffMembership, User
    from accounts.services import staff_user_enrol
    from billing.models import Wallet
    from portal import dates
    from portal.models import Structure
    from reservations.models import Activity, Occurrence, Reservation

    structure = Structure.objects.create(name="Mairie de Bench", slug="bench")
    agent = User.objects.create_user("agent.bench", password="Un-mot-de-passe-bench-1", is_staff=True)
    StaffMembership.objects.create(user=agent, structure=structure)
    staff_user_enrol(user=agent)
    wallet = Wallet.objects.create(structure=structure, name="Restauration")
    activity = Activity.objects.create(structure=structure, name="Restauration Scolaire", wallet=wallet,
                                       arrival_time=datetime.time(12), departure_time=datetime.time(13, 30))
    day = dates.today()
    occurrence = Occurrence.objects.create(activity=activity, date=day, arrival_time=activity.arrival_time,
                                           departure_time=activity.departure_time)
    families = Family.objects.bulk_create([Family(structure=structure, number=f"{n:06d}", payer_name=f"FAMILLE{n} Jean",
                                                  phone="06 00 00 00 00") for n in range(CHILDREN)])
    children = Child.objects.bulk_create([Child(family=family, first_name=f"Enfant{n}", last_name=f"NOM{n}",
                                                group=f"{GROUPS[n % len(GROUPS)]} - École du Centre")
                                          for n, family in enumerate(families)])
    now = timezone.now()
    Reservation.objects.bulk_create([Reservation(
        family=child.family, child=child, occurrence=occurrence, state=Reservation.State.ACCEPTED,
        arrival_time=activity.arrival_time, departure_time=activity.departure_time, submitted_at=now) for child in children])
    return agent, occurrence


def main() -> int:
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        from django.test import Client

        agent, occurrence = fill()
        client = Client()
        client.force_login(agent)
        url = f"/admin/reservations/transmissionrun/presences/?activity={occurrence.activity_id}&day={occurrence.date}"

        def page():
            response = client.get(url)
            assert response.status_code == 200 and response.content.count(b'value="present" checked') == CHILDREN

        def pdf():
            response = client.get(url + "&format=pdf")
            assert response.status_code == 200 and response.content.startswith(b"%PDF")

        if "--profile" in sys.argv:
            page()  # warm-up: templates compiled, connections open
            profiler = cProfile.Profile(time.process_time)
            profiler.runcall(page)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        page_wall, page_cpu = median_time(page, 20)
        pdf_wall, pdf_cpu = median_time(pdf, 3)
        ok = page_wall <= TARGET_PAGE
        print(f"attendance page, {CHILDREN} children, median of 20   {page_wall * 1000:8.1f} ms (cpu {page_cpu * 1000:6.1f} ms)"
              f"   target ≤ {TARGET_PAGE * 1000:.0f} ms   {'OK' if ok else 'SLOW'}")
        print(f"printed list (PDF), {CHILDREN} children, median of 3 {pdf_wall * 1000:8.1f} ms (cpu {pdf_cpu * 1000:6.1f} ms)")
        print(f"  load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        return 0
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
