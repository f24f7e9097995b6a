"""The booking round trip in a real browser: click a day → the summary → "Valider réellement" → the result.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python -m bench.roundtrip [--rounds 9]
Creates its own throwaway PostgreSQL database (test_bench_roundtrip_<pid>) with a small
version of bench.calendar_page's data (200 families, 12 activities over a school year),
starts gunicorn on it with the production settings (DEBUG off, as bench.rush does), logs
the bench parent in (a session cookie) in a headless Chromium (/usr/bin/chromium,
never downloaded) and then, round after round, from the calendar of one activity: clicks
an open day (the htmx toggle), clicks the cart badge, clicks "Valider réellement" and waits
for the result page. Prints per round the requests, the bytes transferred (headers and
bodies) and the time from the click to the result page loaded, then the medians.

Issue 16's target is ≤ 0.5× the peer's round trip (Noethysweb's portal, measured by hand on
the same machine: see the README); this bench prints only our figures. The first round
(cold browser cache, first requests of each worker) is left out of the medians.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from django.conf import settings
from django.test.utils import setup_databases
from django.utils import timezone

import bench.calendar_page as calendar_bench
from bench.rush import free_port, shut_down, start_gunicorn

settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_bench_roundtrip_{os.getpid()}"
settings.DEBUG = False
STATIC = Path(__file__).resolve().parent.parent / "static"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
HOST = "localhost"   # Chromium keeps the Secure cookies of http://localhost (the proxy header says https)


def session_of(user) -> str:
    """A logged-in session for the parent, stored in the database (the login form is not the round trip)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                    HASH_SESSION_KEY: user.get_session_auth_hash()})
    session.create()
    return str(session.session_key)


def one_round(page, calendar_url: str) -> dict:
    """Click the first open day of the calendar and go through to the result page."""
    page.goto(calendar_url)
    day = page.locator(".pf-cell.st-open").first
    cell_id = day.get_attribute("id")
    seen: list = []

    def listen(request):   # a function: Playwright marks its handlers, a list's bound method cannot be
        seen.append(request)

    page.on("requestfinished", listen)
    started = time.perf_counter()
    page.click(f"#{cell_id} button.pf-day-button")
    page.wait_for_selector(f"#{cell_id}.st-to-book")
    page.click("#panier-compteur")
    page.wait_for_url("**/panier/")
    page.click("button:has-text('Valider réellement')")
    page.wait_for_url("**/resultat/**")
    page.wait_for_load_state("load")
    elapsed = time.perf_counter() - started
    page.remove_listener("requestfinished", listen)
    seen = [request for request in seen if "/static/" not in request.url]
    sizes = [request.sizes() for request in seen]
    return {"requests": len(seen), "elapsed": elapsed,
            "bytes": sum(size["requestHeadersSize"] + size["requestBodySize"] + size["responseHeadersSize"]
                         + max(size["responseBodySize"], 0) for size in sizes),
            "urls": [f"{request.method} {request.url.split(HOST, 1)[-1].split('?', 1)[0]}" for request in seen]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="rounds measured after the first (default 9)")
    options = parser.parse_args()
    calendar_bench.FAMILIES, calendar_bench.RESERVATIONS = 200, 4_000
    old_config = setup_databases(verbosity=0, interactive=False)
    gunicorn = None
    try:
        from playwright.sync_api import sync_playwright

        from reservations.models import Activity

        started = time.perf_counter()
        user, kids, activities = calendar_bench.fill()
        activity = Activity.objects.get(pk=activities[1].pk)   # unlimited places: every round finds an open day
        port = free_port()
        origin = f"http://{HOST}:{port}"
        gunicorn = start_gunicorn(port, 2, host=HOST, extra_env={
            "CSRF_TRUSTED_ORIGINS": origin, "SECRET_KEY": settings.SECRET_KEY})   # its sessions are ours
        print(f"round trip: data built and gunicorn (2 workers, DEBUG off, PostgreSQL) up in "
              f"{time.perf_counter() - started:.0f} s; Chromium headless")
        calendar_url = f"{origin}/reservations/?child={kids[0].id}&activity={activity.id}&month={timezone.localdate():%Y-%m}"
        session = session_of(user)   # before Playwright: its sync API runs an event loop, where the ORM refuses to run
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            context = browser.new_context(extra_http_headers={"X-Forwarded-Proto": "https"}, locale="fr-FR")
            # Static files come from the web server in production (gunicorn does not serve them) and
            # stay in the browser's cache: served here from the project's folder, not counted.
            context.route("**/static/**", lambda route: route.fulfill(path=str(STATIC / route.request.url.split("/static/", 1)[1]
                                                                               .split("?", 1)[0])))
            page = context.new_page()
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": origin,
                                  "httpOnly": True, "secure": True, "sameSite": "Lax"}])
            rounds = [one_round(page, calendar_url) for _ in range(options.rounds + 1)]
            browser.close()
        for index, result in enumerate(rounds):
            label = "warm-up" if index == 0 else f"round {index}"
            print(f"  {label:<8} {result['requests']} requests, {result['bytes'] / 1024:6.1f} KiB, "
                  f"{result['elapsed'] * 1000:6.0f} ms")
        measured = rounds[1:]
        print(f"  requests of a round: {', '.join(measured[-1]['urls'])}")
        print(f"round trip, median of {len(measured)}: {statistics.median(r['requests'] for r in measured):.0f} requests, "
              f"{statistics.median(r['bytes'] for r in measured) / 1024:.1f} KiB, "
              f"{statistics.median(r['elapsed'] for r in measured) * 1000:.0f} ms  "
              "(target: ≤ 0.5× the peer's, measured by hand — README)")
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        return 0
    finally:
        shut_down(gunicorn, old_config)


if __name__ == "__main__":
    sys.exit(main())
