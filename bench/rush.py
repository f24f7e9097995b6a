"""Rush hour (issue 15 item 4): 500 parents confirm the same day at once, 500 others spread over 20 days.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python -m bench.rush [--parents 500] [--workers N]
Creates its own throwaway PostgreSQL database (test_bench_rush_<pid>), fills it (a day of
20 places and 10 waiting places, 20 days of the same, 2 × N families each with a login, a
child, a cart line and the summary it was shown), starts gunicorn on it with the production
settings (DEBUG off), opens one logged-in session per family, then releases every
"Valider réellement" together — the hot day's and the spread days' interleaved, in the same
run — and prints, for each crowd, the response time p50/p95/max, how long the days stayed
locked per confirmation (the Server-Timing header the confirmation sets), and the counts.

Targets: counts exact (hot day: 20 places, 10 waiting, the rest "complète"; every day's
counters equal a recount from the rows); hot/spread p95 ratio ≤ 1.2 (the day's lock is not
the bottleneck, the machine's CPU is); time under the lock ≤ 20 ms per confirmation. A
figure over its target is labelled SLOW but the exit status stays 0 (the bench reports,
it does not gate); wrong counts exit 1.
"""
import argparse
import datetime
import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import django

SECRET_KEY = "bench-rush-" + secrets.token_hex(24)
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings_test"
os.environ["SECRET_KEY"] = SECRET_KEY     # the same key signs the summaries here and checks them in gunicorn
django.setup()

from django.conf import settings  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_bench_rush_{os.getpid()}"
settings.DEBUG = False

ROOT = Path(__file__).resolve().parent.parent
HOST = "bench.local"
PLACES, WAITING, SPREAD_DAYS = 20, 10, 20
TARGET_RATIO, TARGET_LOCK_MS = 1.2, 20.0


def fill(parents: int):
    """The days, the families with their cart line, and for each one a session and the summary shown."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import Child, Family, User
    from billing.models import Tariff, TariffRate, Wallet
    from portal.models import Structure
    from reservations.booking.summary import cart_summary
    from reservations.models import Activity, CartLine, Enrolment, Occurrence
    from reservations.rules.closures import public_holidays_between

    structure = Structure.objects.create(name="Mairie de Bench", slug="bench")
    wallet = Wallet.objects.create(structure=structure, name="Accueil de Loisirs")
    tariff = Tariff.objects.create(structure=structure, name="Journée")
    today = timezone.localdate()
    TariffRate.objects.create(tariff=tariff, valid_from=today - datetime.timedelta(days=365), amount="12.50")
    activity = Activity.objects.create(
        structure=structure, name="Centre de loisirs - été", wallet=wallet, tariff=tariff, limited_places=True,
        default_places=PLACES, default_waiting_places=WAITING, arrival_time=datetime.time(8, 30),
        departure_time=datetime.time(17, 30))
    # 21 days from a month ahead, public holidays skipped (they cannot be booked).
    first = today + datetime.timedelta(days=30)
    holidays = public_holidays_between(first, first + datetime.timedelta(days=60))
    dates = [day for day in (first + datetime.timedelta(days=n) for n in range(60)) if day not in holidays]
    days = Occurrence.objects.bulk_create([
        Occurrence(activity=activity, date=day, arrival_time=activity.arrival_time,
                   departure_time=activity.departure_time, places=PLACES, waiting_places=WAITING)
        for day in dates[:SPREAD_DAYS + 1]])
    hot, spread = days[0], days[1:]
    count = 2 * parents
    users = User.objects.bulk_create([User(username=f"parent{n:04d}", first_name="Parent", last_name=f"N{n}",
                                           password="!unusable") for n in range(count)])
    families = Family.objects.bulk_create([Family(structure=structure, number=f"{n:06d}", payer_name=f"FAMILLE{n} Jean")
                                           for n in range(count)])
    Family.users.through.objects.bulk_create([Family.users.through(family_id=family.pk, user_id=user.pk)
                                              for family, user in zip(families, users, strict=True)])
    children = Child.objects.bulk_create([Child(family=family, first_name=f"Enfant{n}", last_name=f"N{n}")
                                          for n, family in enumerate(families)])
    Enrolment.objects.bulk_create([Enrolment(child=child, activity=activity, start_date=today,
                                             end_date=today + datetime.timedelta(days=365)) for child in children])
    # Families 0, 2, 4… confirm the hot day; 1, 3, 5… one of the spread days, in turn.
    CartLine.objects.bulk_create([
        CartLine(family=family, child=child, occurrence=hot if n % 2 == 0 else spread[(n // 2) % SPREAD_DAYS], action="book")
        for n, (family, child) in enumerate(zip(families, children, strict=True))])
    now = timezone.now()
    people = []
    backend = settings.AUTHENTICATION_BACKENDS[0]
    for n, (user, family) in enumerate(zip(users, families, strict=True)):
        session = SessionStore()
        session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: backend, HASH_SESSION_KEY: user.get_session_auth_hash()})
        session.create()
        summary = cart_summary(family=family, now=now)
        people.append({"crowd": "hot" if n % 2 == 0 else "spread", "session": session.session_key,
                       "csrf": secrets.token_urlsafe(24).replace("-", "a").replace("_", "b")[:32],
                       "token": summary.token, "fingerprint": summary.fingerprint})
    return hot, spread, people


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shut_down(gunicorn: subprocess.Popen | None, old_config) -> None:
    """Stop the bench's gunicorn (if it started) and drop the bench's database."""
    if gunicorn is not None:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
    from django.db import connections

    connections.close_all()
    teardown_databases(old_config, verbosity=0)


def start_gunicorn(port: int, workers: int, *, host: str = HOST, extra_env: dict | None = None) -> subprocess.Popen:
    """gunicorn on the bench's database with the production settings (bench.roundtrip uses it too)."""
    database = settings.DATABASES["default"]
    url = (f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "0", "SECRET_KEY": SECRET_KEY,
           "ALLOWED_HOSTS": host, "DATABASE_URL": url, "CELERY_BROKER_URL": "", "LOG_LEVEL": "WARNING",
           "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend", "SENTRY_DSN": "", **(extra_env or {})}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--backlog", "4096",
         "--timeout", "300", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _headers, _elapsed = request(port, "GET", "/health", None, None, host=host)
            if status < 500:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def request(port: int, method: str, path: str, person, body, *, host: str = HOST):
    headers = {"Host": host, "X-Forwarded-Proto": "https"}
    if person is not None:
        headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={person['session']}; {settings.CSRF_COOKIE_NAME}={person['csrf']}"
    if body is not None:
        headers.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": f"https://{HOST}",
                        "Referer": f"https://{HOST}/reservations/panier/"})
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, dict(response.getheaders()), time.perf_counter() - start
    finally:
        connection.close()


def storm(port: int, people) -> list[dict]:
    """Every confirmation in its own thread, all released together."""
    gate = threading.Barrier(len(people) + 1)
    results: list[dict] = [{} for _ in people]

    def confirm(index, person):
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": person["csrf"], "token": person["token"],
                                       "fingerprint": person["fingerprint"]})
        gate.wait()
        try:
            status, headers, elapsed = request(port, "POST", "/reservations/panier/valider/", person, body)
        except OSError as error:
            results[index] = {"crowd": person["crowd"], "status": 0, "elapsed": None, "lock": None, "error": str(error)}
            return
        timing = headers.get("Server-Timing", "")
        lock = float(timing.split("dur=")[1]) if "dur=" in timing else None
        results[index] = {"crowd": person["crowd"], "status": status, "elapsed": elapsed, "lock": lock}

    threading.stack_size(256 * 1024)
    threads = [threading.Thread(target=confirm, args=(index, person)) for index, person in enumerate(people)]
    for thread in threads:
        thread.start()
    gate.wait()
    for thread in threads:
        thread.join()
    return results


def quantile(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def outcomes_of(days) -> dict:
    """What the stored results say about the lines on these days."""
    from collections import Counter

    from reservations.models import CartConfirmation

    dates = {day.date.isoformat() for day in days}
    return Counter(line["outcome"] for confirmation in CartConfirmation.objects.all()
                   for line in (confirmation.result or {}).get("lines", []) if line["date"] in dates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parents", type=int, default=500, help="families in each crowd (default 500)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    options = parser.parse_args()
    old_config = setup_databases(verbosity=0, interactive=False)
    gunicorn = None
    try:
        from reservations.counters import counters_recount
        from reservations.models import Occurrence, Reservation

        started = time.perf_counter()
        hot, spread, people = fill(options.parents)
        print(f"rush: {len(people)} sessions and summaries ready in {time.perf_counter() - started:.1f} s; "
              f"gunicorn with {options.workers} workers on {os.cpu_count()} CPU(s), PostgreSQL, DEBUG off")
        port = free_port()
        gunicorn = start_gunicorn(port, options.workers)
        # Warm every worker (first request imports the views, compiles templates…).
        for _ in range(options.workers * 3):
            request(port, "GET", "/compte/connexion/", None, None)
        started = time.perf_counter()
        results = storm(port, people)
        wall = time.perf_counter() - started
        statuses = sorted({r["status"] for r in results})
        print(f"  {len(results)} confirmations released together, all answered in {wall:.1f} s "
              f"({len(results) / wall:.0f}/s); HTTP statuses {statuses}")
        figures = {}
        for crowd in ("hot", "spread"):
            rows = [r for r in results if r["crowd"] == crowd]
            times = [r["elapsed"] for r in rows if r["elapsed"] is not None]
            locks = [r["lock"] for r in rows if r["lock"] is not None]
            figures[crowd] = quantile(times, 0.95)
            print(f"  {crowd:6}  {len(rows)} parents: response p50 {quantile(times, 0.5):.2f} s, "
                  f"p95 {quantile(times, 0.95):.2f} s, max {max(times):.2f} s; day locked per confirmation "
                  f"p50 {quantile(locks, 0.5):.1f} ms, p95 {quantile(locks, 0.95):.1f} ms, max {max(locks):.1f} ms, "
                  f"mean {statistics.mean(locks):.1f} ms")
        locks = [r["lock"] for r in results if r["lock"] is not None]
        lock_p95 = quantile(locks, 0.95)
        ratio = figures["hot"] / figures["spread"]
        print(f"  hot/spread p95 ratio {ratio:.2f} (target ≤ {TARGET_RATIO}){'' if ratio <= TARGET_RATIO else '  SLOW'}")
        print(f"  time under the day's lock p95 {lock_p95:.1f} ms (target ≤ {TARGET_LOCK_MS:.0f} ms)"
              f"{'' if lock_p95 <= TARGET_LOCK_MS else '  SLOW'}")
        hot_counts = outcomes_of([hot])
        spread_counts = outcomes_of(spread)
        hot.refresh_from_db()
        requests = Reservation.objects.filter(occurrence=hot, state=Reservation.State.NOT_TRANSMITTED)
        exact_hot = {"booked": PLACES, "waiting": WAITING, "full": options.parents - PLACES - WAITING}
        per_day = options.parents // SPREAD_DAYS
        exact_spread = {"booked": SPREAD_DAYS * min(per_day, PLACES),
                        "waiting": SPREAD_DAYS * min(max(per_day - PLACES, 0), WAITING),
                        "full": SPREAD_DAYS * max(per_day - PLACES - WAITING, 0)}
        drifts = counters_recount(occurrence_ids=Occurrence.objects.values_list("pk", flat=True))
        good = (all(hot_counts.get(k, 0) == v for k, v in exact_hot.items())
                and all(spread_counts.get(k, 0) == v for k, v in exact_spread.items()) and not drifts
                and hot.places_taken == requests.filter(waiting_mark=False).count() == PLACES
                and hot.waiting_places_taken == requests.filter(waiting_mark=True).count() == WAITING)
        print(f"  counts: hot day {dict(sorted(hot_counts.items()))} (exact: {exact_hot}); "
              f"counter {hot.places_taken} places / {hot.waiting_places_taken} waiting")
        print(f"          spread days {dict(sorted(spread_counts.items()))} (exact: {exact_spread}); "
              f"counters differing from a recount: {len(drifts)}  {'exact' if good else 'WRONG'}")
        return 0 if good else 1
    finally:
        shut_down(gunicorn, old_config)


if __name__ == "__main__":
    sys.exit(main())
