"""Benchmark of the nightly transmission on a throwaway PostgreSQL database.

    .venv/bin/python -m bench.batch [--requests 100000] [--occurrences 2000] [--families N]
                                     [--server postgres://postgres@127.0.0.1:5432] [--keep] [--memory]
                                     [--workers 1,2] [--history N]

Creates a database ``portal_bench_<pid>``, migrates it, builds with bulk_create N
families (one child each) and their pending requests spread evenly over the days of
four activities (unlimited; limited with a waiting list; limited and nearly big
enough; validated by staff), then runs the transmission in a fresh process (so its
peak memory is the run's own) and prints: requests settled per second, the run's
duration, its peak memory (max RSS), and the e-mails queued. The database is dropped
at the end unless --keep. Targets (DESIGN, issue 5): 100,000 requests over 2,000 days
in ≤ 60 s and ≤ 400 MB.

With ``--workers 1,2`` the same data is copied (CREATE DATABASE … TEMPLATE) before the run and
the chunked night is timed with each number of real Celery workers on Redis: the speed-up of
two workers against one (target ≥ 1.6×, issue 16) and whether every copy ends in the same state.

With ``--memory`` a second night is run on twice the data (requests, days and families, its own
database) and both peaks are printed: issue 16 wants ≤ 200 MB and no growth with the night. The
runs are measured with DEBUG's query log off, as in production (see ``settle``).

With ``--history N`` each child also has N earlier bookings, told by an earlier night (a town's
database after months of nights): the night must cost what it costs on a new database.

The night settles on TRANSMISSION_SETTLE_CONNECTIONS connections, as production's does (2 by default;
``TRANSMISSION_SETTLE_CONNECTIONS=1`` in the environment times it on one). The set-based floor is
always timed on its own copy: one UPDATE ranking each day's pending requests by
submission feeding one INSERT of their events; the bench prints settling / floor (target ≤ 2×, issue 16).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from .batch_floor import floor_compare
from .batch_workers import ROOT, workers_compare

FLOOR_COPY = 0   # the key of the floor's copy among the copies (worker counts start at 1)


def setup_django(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["DEBUG"] = "1"
    os.environ["DATABASE_URL"] = database_url
    os.environ["CELERY_BROKER_URL"] = ""
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings

    # The e-mails are queued as outbox rows; sending them is the worker's job, not the run's.
    settings.OUTBOX_AUTO_SEND = False


def admin_connection(server: str):
    import psycopg2

    parsed = urlparse(server)
    connection = psycopg2.connect(dbname="postgres", user=parsed.username or "postgres", password=parsed.password or "",
                                  host=parsed.hostname or "127.0.0.1", port=parsed.port or 5432)
    connection.autocommit = True
    return connection


def build(*, requests: int, occurrences: int, families: int, out, history: int = 0) -> int:
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Child, Family
    from billing.models import Wallet
    from portal.models import Structure
    from reservations.models import Activity, Occurrence, Reservation, ReservationEvent

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    structure = Structure.objects.create(name="Mairie de BenchVille", slug="benchville")
    wallet = Wallet.objects.create(structure=structure, name="Restauration", mode=Wallet.Mode.PREPAID)
    per_occurrence = requests // occurrences
    kinds = [
        {"name": "Restauration Scolaire", "limited_places": False},
        {"name": "Accueil de Loisirs", "limited_places": True, "default_places": per_occurrence * 6 // 10,
         "default_waiting_places": per_occurrence // 5},
        {"name": "APS MATIN", "limited_places": True, "default_places": per_occurrence - 2, "default_waiting_places": 1},
        {"name": "3-6 ans - Mercredi Matin", "needs_staff_decision": True},
    ]
    activities = [Activity.objects.create(structure=structure, wallet=wallet, arrival_time=datetime.time(8),
                                          departure_time=datetime.time(17), **kind) for kind in kinds]
    today = timezone.localdate()
    days = [Occurrence(activity=activities[i % 4], date=today + datetime.timedelta(days=1 + i // 4),
                       arrival_time=datetime.time(8), departure_time=datetime.time(17),
                       places=activities[i % 4].default_places, waiting_places=activities[i % 4].default_waiting_places)
            for i in range(occurrences)]
    days = Occurrence.objects.bulk_create(days, batch_size=2000)
    family_rows = Family.objects.bulk_create(
        [Family(structure=structure, number=f"B{n:07d}", payer_name=f"FAMILLE{n} Jean", civility="M.",
                email=f"famille{n}@example.org" if n % 50 else "") for n in range(families)], batch_size=5000)
    children = Child.objects.bulk_create(
        [Child(family=family, first_name="Enfant", last_name=family.payer_name.split()[0],
               birth_date=datetime.date(2018, 1, 1)) for family in family_rows], batch_size=5000)
    per_child = requests // families
    stride = max(occurrences // per_child, 1)
    now = timezone.now() - datetime.timedelta(hours=3)
    batch, count = [], 0
    for index, child in enumerate(children):
        for j in range(per_child):
            day = days[(index + j * stride) % occurrences]
            batch.append(Reservation(family_id=child.family_id, child=child, occurrence=day, arrival_time=day.arrival_time,
                                     departure_time=day.departure_time, unit_price="3.5900", quantity=1, cost="3.59",
                                     submitted_at=now + datetime.timedelta(microseconds=count)))
            count += 1
        if len(batch) >= 20_000:
            _flush(batch, Reservation, ReservationEvent)
            batch = []
    _flush(batch, Reservation, ReservationEvent)
    from django.db import connection

    with connection.cursor() as cursor:
        if history:
            cursor.execute(HISTORY_SQL, {"structure": structure.pk, "per_child": history, "days": occurrences})
        cursor.execute("ANALYZE")   # fresh statistics, as autovacuum would have them after a day
    out.write(f"built {count} requests, {len(days)} days, {families} families"
              + (f", {history} earlier bookings per child, told" if history else "")
              + f" in {time.perf_counter() - started:.1f} s\n")
    return count


# --history N: a town's database after months of nights — N earlier bookings per child (cancelled,
# so that they hold no place), each with its request and its answer by an earlier finished night
# that told every family (their watermarks). The night must cost the same: it reads its window,
# not the families' whole history (notifications.report_stream).
HISTORY_SQL = """
WITH earlier AS (
    INSERT INTO reservations_transmissionrun (structure_id, started_at, finished_at, progress_at, status, counts,
                                              chunked, chunks, chunks_done, posting_done, report_ranges,
                                              report_ranges_done)
    VALUES (%(structure)s, now() - interval '20 days', now() - interval '20 days', now() - interval '20 days',
            'finished', '{}', false, '[]', '[]', true, '[]', '[]')
    RETURNING id
), booked AS (
    INSERT INTO reservations_reservation (state, waiting_mark, arrival_time, departure_time, unit_price, quantity, cost,
                                          submitted_at, attendance, child_id, family_id, occurrence_id)
    SELECT 'cancelled', false, '08:00', '17:00', 3.59, 1, 3.59, now() - interval '30 days', '', c.id, c.family_id, o.id
      FROM accounts_child c
     CROSS JOIN LATERAL (SELECT id FROM reservations_occurrence
                          ORDER BY (id * 7919 + c.id) %% %(days)s LIMIT %(per_child)s) o
    RETURNING id
), asked AS (
    INSERT INTO reservations_reservationevent (reservation_id, at, kind, from_state, to_state, note, on_behalf)
    SELECT id, now() - interval '30 days', 'requested', '', 'not_transmitted', '', false FROM booked
)
INSERT INTO reservations_reservationevent (reservation_id, at, kind, from_state, to_state, run_id, note, on_behalf)
SELECT booked.id, now() - interval '20 days', 'cancellation_applied', 'accepted', 'cancelled', earlier.id, '', false
  FROM booked, earlier;
INSERT INTO notifications_reportwatermark (family_id, run_id)
SELECT f.id, (SELECT max(id) FROM reservations_transmissionrun) FROM accounts_family f;
"""


def _flush(batch, Reservation, ReservationEvent):
    if not batch:
        return
    created = Reservation.objects.bulk_create(batch, batch_size=5000)
    ReservationEvent.objects.bulk_create(
        [ReservationEvent(reservation=r, kind="requested", to_state="not_transmitted") for r in created], batch_size=5000)


def peak_rss_mb() -> float:
    """This process's own peak resident memory. Not ru_maxrss: Linux carries it across fork and
    exec, so a child forked by the bench (which built the data in memory) reported the builder's
    peak, not its own; VmHWM is the high-water mark of the process's current address space."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def settle() -> None:
    """Child process: run the transmission and print its figures as JSON.

    The run is measured as production runs it: DEBUG is on only so that the settings load
    without secrets, and its query log (the text of every statement, the reports' bodies
    included: memory that grows with the night) is switched off. With BENCH_TRACEMALLOC=1
    the peak of Python's allocations is also taken for the settling and for what follows
    (posting, reports) on their own."""
    import tracemalloc

    from django.conf import settings
    from django.utils import timezone

    from notifications.models import OutboxEmail
    from portal.celery import freeze_long_lived
    from portal.models import Structure
    from reservations.nightly.run import transmission_run

    settings.DEBUG = False
    freeze_long_lived()   # as a worker's process does before its first task (portal/celery.py)
    structure = Structure.objects.get(slug="benchville")
    trace = os.environ.get("BENCH_TRACEMALLOC") == "1"
    if trace:
        tracemalloc.start()
    marks = {"settle_peak": 0}

    def progress(done, counts):
        marks["settled"] = time.perf_counter()
        marks["settled_maxrss_mb"] = peak_rss_mb()
        if trace:
            marks["settle_peak"] = max(marks["settle_peak"], tracemalloc.get_traced_memory()[1])
            tracemalloc.reset_peak()

    started = time.perf_counter()
    run = transmission_run(structure=structure, now=timezone.now(), progress=progress)
    elapsed = time.perf_counter() - started
    figures = {
        "seconds": elapsed, "settle_seconds": marks.get("settled", started) - started, "counts": run.counts,
        "outbox_pending": OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING).count(),
        "maxrss_mb": peak_rss_mb(),
        "settled_maxrss_mb": marks.get("settled_maxrss_mb", 0),
        "settle_connections": settings.TRANSMISSION_SETTLE_CONNECTIONS,
    }
    if trace:
        figures["tracemalloc_settle_mb"] = marks["settle_peak"] / 2**20
        figures["tracemalloc_after_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    print(json.dumps(figures))


DOUBLE_COPY = -1   # the key of --memory's database with twice the data


def night(database_url: str) -> dict:
    """The figures of a transmission run in a fresh process (its peak memory is the run's own)."""
    child = subprocess.run([sys.executable, "-m", "bench.batch", "--settle-only", database_url], capture_output=True,
                           text=True, cwd=ROOT)
    if child.returncode:
        sys.stderr.write(child.stderr)
        raise SystemExit(child.returncode)
    return json.loads(child.stdout.strip().splitlines()[-1])


def memory_text(figures: dict) -> str:
    text = f"{figures['maxrss_mb']:.0f} MB ({figures['settled_maxrss_mb']:.0f} MB when the settling ended)"
    if "tracemalloc_settle_mb" in figures:
        text += (f"; Python's allocations at their peak: settling {figures['tracemalloc_settle_mb']:.0f} MB, "
                 f"posting and reports {figures['tracemalloc_after_mb']:.0f} MB")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--occurrences", type=int, default=2_000)
    parser.add_argument("--families", type=int, default=None, help="default: requests / 10")
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    parser.add_argument("--workers", default="", metavar="1,2",
                        help="also time the chunked night (transmit --fan-out chunks) with these numbers of real "
                             "Celery workers on Redis (BENCH_BROKER, default redis://127.0.0.1:6379/7), each on a copy "
                             "of the same data")
    parser.add_argument("--memory", action="store_true",
                        help="also run the night on twice the data (requests, days and families) in a database of its "
                             "own and print both peaks: the memory must not grow with the night")
    parser.add_argument("--history", type=int, default=0, metavar="N",
                        help="give each child N earlier bookings, told by an earlier night (a town's database after "
                             "months): the night must not slow down with them")
    parser.add_argument("--settle-only", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--build-only", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    families = args.families or max(args.requests // 10, 1)
    if args.settle_only:
        setup_django(args.settle_only)
        settle()
        return
    if args.build_only:
        setup_django(args.build_only)
        build(requests=args.requests, occurrences=args.occurrences, families=families, out=sys.stdout,
              history=args.history)
        return

    name = f"portal_bench_{os.getpid()}"
    database_url = f"{args.server.rstrip('/')}/{name}"
    admin = admin_connection(args.server)
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    copies: dict[int, str] = {}   # number of workers (FLOOR_COPY: the floor) → its copy of the data
    try:
        setup_django(database_url)
        requests = build(requests=args.requests, occurrences=args.occurrences, families=families, out=sys.stdout,
                         history=args.history)
        from django.db import connections

        connections.close_all()
        worker_counts = [int(number) for number in args.workers.split(",") if number.strip()]
        copies.update({count: f"{name}_w{count}" for count in worker_counts})
        copies[FLOOR_COPY] = f"{name}_floor"
        with admin.cursor() as cursor:
            for copy in copies.values():
                cursor.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
            # The build and its copies went through the WAL (PostgreSQL 15 copies a database that way):
            # written out now, so that no checkpoint of the bench's own writes lands inside a timed run.
            cursor.execute("CHECKPOINT")
        figures = night(database_url)
        counts = figures["counts"]
        print(f"settled {requests} requests over {counts['occurrences']} days in {figures['seconds']:.1f} s "
              f"({requests / figures['seconds']:,.0f} requests/s; settling {figures['settle_seconds']:.1f} s "
              f"on {figures['settle_connections']} connection(s), "
              f"reports {figures['seconds'] - figures['settle_seconds']:.1f} s; whole night target ≤ 8 s, issue 16)")
        print("outcomes: " + ", ".join(f"{key} {counts.get(key, 0)}" for key in (
            "accepted", "waiting_list", "refused", "awaiting_decision", "promoted", "cancelled")))
        reported = counts.get("emails_queued", 0) + counts.get("emails_no_address", 0)
        if reported:
            per_family = (figures["seconds"] - figures["settle_seconds"]) * 1000 / reported
            print(f"writing the reports: {per_family:.2f} ms per family (target ≤ 0.4 ms, issue 16)")
        print(f"e-mails queued: {counts.get('emails_queued', 0)} (outbox pending {figures['outbox_pending']}), "
              f"families without address: {counts.get('emails_no_address', 0)}")
        print(f"peak memory of the run (max RSS): {memory_text(figures)}")
        if args.memory:
            copies[DOUBLE_COPY] = f"{name}_2x"
            with admin.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{copies[DOUBLE_COPY]}"')
            double_url = f"{args.server.rstrip('/')}/{copies[DOUBLE_COPY]}"
            built = subprocess.run([sys.executable, "-m", "bench.batch", "--build-only", double_url, "--requests",
                                    str(2 * args.requests), "--occurrences", str(2 * args.occurrences), "--families",
                                    str(2 * families), "--history", str(args.history)], capture_output=True, text=True,
                                   cwd=ROOT)
            if built.returncode:
                sys.stderr.write(built.stderr)
                raise SystemExit(built.returncode)
            doubled = night(double_url)
            print(f"peak memory with twice the night ({2 * requests} requests, {2 * args.occurrences} days, "
                  f"{2 * families} families): {memory_text(doubled)}; {doubled['maxrss_mb'] / figures['maxrss_mb']:.2f}× "
                  "the single night's (target: ≤ 200 MB and flat, issue 16)")
        floor_compare(settle_seconds=figures["settle_seconds"], connections=figures["settle_connections"],
                      server=args.server, copy=copies[FLOOR_COPY])
        if worker_counts:
            workers_compare({count: copies[count] for count in worker_counts}, server=args.server,
                            database_url=database_url)
    finally:
        from django.db import connections

        connections.close_all()
        with admin.cursor() as cursor:
            for copy in copies.values():
                cursor.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        if args.keep:
            print(f"database kept: {database_url}")
        else:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
