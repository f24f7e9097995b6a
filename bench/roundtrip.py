"""The booking round trip in a real browser: click a day → the summary → "Valider réellement" → the result.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python -m bench.roundtrip [--rounds 9]
Creates its own throwaway PostgreSQL database (test_bench_roundtrip_<pid>) with a small
version of bench.calendar_page's data (200 families, 12 activities over a school year),
starts gunicorn on it with the production settings (DEBUG off, as bench.rush does) behind
nginx (bench/nginx.py: static files from disk with a year's cache, as in production), logs
the bench parent in (a session cookie) in a headless Chromium (/usr/bin/chromium,
never downloaded) and then, round after round, from the calendar of one activity: clicks
an open day (the htmx toggle), clicks the cart badge (the summary comes as a fragment in
place of the calendar's part, its URL pushed), clicks "Valider réellement" (the result comes
the same way) and waits for the result's URL and heading. Prints per round the requests (every
one but static files: htmx's as well as whole pages), the bytes transferred (headers and
bodies) and two times, then their medians:
- the parent's waiting: for each click, from the click as the page receives it to the first
  animation frame showing its answer (WAITING_SCRIPT, timed in the page), summed;
- the driver's time: from the first click's call to the end, as Playwright sees it, which also
  counts its own 40-55 ms before each click lands (actionability checks; the same on a blank page).

Issue 16's target is ≤ 0.5× the peer's round trip. With --peer-url (or PEER_URL) the same run
also drives Noethysweb's family portal, set up beforehand from its public repository (README,
"The peer") and put behind nginx the same way: it logs in through the portal's form, opens the
first child's planning and, round after round, alternating with ours under the same load: clicks
a free open day, clicks "Enregistrer" and waits for the reservations page it comes back to (shown
when its booking periods are) — then, untimed, takes the day back, so that the peer's data is the
same from one run to the next. Both sides run in the same headless Chromium with the same context
settings, the browser's cache on. It prints the peer's figures and ours over the peer's. The first
round of each side (cold browser cache, first requests of each worker) is left out of the medians.
"""
import argparse
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

from django.conf import settings
from django.test.utils import setup_databases
from django.utils import timezone

import bench.calendar_page as calendar_bench
from bench import nginx
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


# The parent's waiting time, measured in the page rather than by the driver: Playwright spends
# 40-55 ms on each click before the page sees it (actionability checks, animation frames; measured
# on a blank page), which no site can shorten and which a parent's hand does not cost. Injected by
# the driver (CDP, so neither side's Content-Security-Policy applies), it keeps its state in
# sessionStorage so that it survives the peer's navigations. Each trusted click arms the next
# expectation (a CSS selector present, the path matching: data, not code);
# the animation frame that follows the moment one is first met (a DOM mutation, pushState,
# DOMContentLoaded or load) is when the parent sees the answer — for a page being loaded, its
# first frame once its style sheets are in. The waiting time is the sum of those click → shown spans.
WAITING_SCRIPT = """(() => {
  const KEY = "bench-waiting";
  let state = JSON.parse(sessionStorage.getItem(KEY) || "null");
  const save = () => sessionStorage.setItem(KEY, JSON.stringify(state));
  const met = (expected) => (!expected.path || new RegExp(expected.path).test(location.pathname))
    && (!expected.selector || document.querySelector(expected.selector) !== null);
  let painting = false;
  const check = () => {
    if (painting || !state || state.shown.length >= state.clicks.length) return;
    if (!met(state.expect[state.shown.length])) return;
    painting = true;
    requestAnimationFrame(() => {   // shown: the frame that paints it (a loading page's first, after its styles)
      painting = false;
      state.shown.push(performance.timeOrigin + performance.now());
      save();
      check();
    });
  };
  window.__benchWaiting = {
    arm: (expect) => { state = {expect, clicks: [], shown: []}; save(); },
    take: () => { const taken = state; state = null; sessionStorage.removeItem(KEY); return taken; },
  };
  window.addEventListener("click", (event) => {
    if (!event.isTrusted || !state || state.clicks.length >= state.expect.length) return;
    state.clicks.push(performance.timeOrigin + event.timeStamp);
    save();
    check();
  }, true);
  for (const name of ["pushState", "replaceState"]) {
    const original = history[name];
    history[name] = function (...args) { const result = original.apply(this, args); check(); return result; };
  }
  new MutationObserver(check).observe(document, {childList: true, subtree: true, attributes: true});
  document.addEventListener("DOMContentLoaded", check);
  window.addEventListener("load", check);
  window.addEventListener("popstate", check);
})();"""


def recorded(page, journey, expectations: list[dict]) -> dict:
    """Run the journey on the page; its requests (static files left out), bytes, time and the parent's waiting.

    expectations: what each click of the journey must bring on screen ({"selector", "path"}).
    """
    seen: list = []

    def listen(request):   # a function: Playwright marks its handlers, a list's bound method cannot be
        seen.append(request)

    page.evaluate("expect => window.__benchWaiting.arm(expect)", expectations)
    page.on("requestfinished", listen)
    started = time.perf_counter()
    journey()
    elapsed = time.perf_counter() - started
    page.remove_listener("requestfinished", listen)
    waited = page.evaluate("() => window.__benchWaiting.take()")
    if waited is None or len(waited["shown"]) != len(expectations):
        sys.exit(f"the page at {page.url} did not show what each click should have brought: {waited}")
    seen = [request for request in seen if "/static/" not in request.url]
    sizes = [request.sizes() for request in seen]
    timings = [request.timing for request in seen]   # milliseconds from each request's start; -1 when not known
    steps = [(shown - click) / 1000 for click, shown in zip(waited["clicks"], waited["shown"], strict=True)]
    return {"requests": len(seen), "elapsed": elapsed, "waiting": sum(steps), "steps": steps,
            "in_requests": sum(max(timing["responseEnd"] - max(timing["requestStart"], 0), 0) for timing in timings) / 1000,
            "bytes": sum(size["requestHeadersSize"] + size["requestBodySize"] + size["responseHeadersSize"]
                         + max(size["responseBodySize"], 0) for size in sizes),
            "urls": [f"{request.method} {urllib.parse.urlsplit(request.url).path}" for request in seen]}


def one_round(page, calendar_urls: list[str]) -> dict:
    """Click the first open day of the calendar and go through to the result page: in the first of
    ``calendar_urls`` (months) that still has one, as each round books a day of its own."""
    for calendar_url in calendar_urls:
        page.goto(calendar_url)
        if page.locator(".pf-cell.st-open").count():
            break
    else:
        raise SystemExit(f"round trip: no open day left in {len(calendar_urls)} months: ask for fewer --rounds")
    cell_id = page.locator(".pf-cell.st-open").first.get_attribute("id")

    def journey():
        page.click(f"#{cell_id} button.pf-day-button")
        page.wait_for_selector(f"#{cell_id}.st-to-book")
        page.click("#panier-compteur")   # htmx: the summary's fragment in place of the calendar's part
        page.wait_for_url("**/panier/")
        page.click("button:has-text('Valider réellement')")   # htmx: the result's fragment, its URL pushed
        page.wait_for_url("**/resultat/**")
        # The end: the result's heading is shown (whether it came as a fragment or, were htmx broken,
        # as a whole page: then the requests and bytes say so); a flow that breaks never shows it.
        page.wait_for_selector("#resultat-titre")
        page.wait_for_load_state("load")

    return recorded(page, journey, [{"selector": f"#{cell_id}.st-to-book"}, {"path": "/panier/$", "selector": "#valider-form"},
                                    {"path": "/resultat/", "selector": "#resultat-titre"}])


# The peer: Noethysweb's family portal (its planning grid, portail/templates/portail/planning.html
# and consommations/static/consommations/grille.js). A click on an open cell books it in the page
# (no request while the portal does not show the invoicing box, its default); "Enregistrer" posts
# the grid to /facturer (ajax), then submits it to the planning's URL, which redirects to /reservations.
PEER_FREE_DAY = "td.ouvert:not(.reservation):not(.demande):not(.attente)"
PEER_PERIODS = "a[href*='/planning/']"   # the reservations page's booking periods, each a link to its planning
PEER_GRID_READY = "() => typeof dict_cases !== 'undefined' && Object.keys(dict_cases).length > 0"


def peer_login(context, peer_url: str, login: str, password: str, captcha: str) -> tuple:
    """Log in through the portal's form; the first child's planning URL (the first on /reservations)."""
    page = context.new_page()
    page.goto(urllib.parse.urljoin(peer_url, "connexion"))
    page.fill("input[name=username]", login)
    page.fill("input[name=password]", password)
    page.fill("input[name=captcha_1]", captcha)   # "PASSED" when the peer runs with CAPTCHA_TEST_MODE
    with page.expect_navigation():
        page.click("button[type=submit]")
    if "/connexion" in page.url:
        sys.exit(f"the peer refused the login {login!r} at {page.url} (password, or captcha not in test mode?)")
    page.goto(urllib.parse.urljoin(peer_url, "reservations"))
    plannings = page.locator(PEER_PERIODS)
    if not plannings.count():
        sys.exit(f"the peer shows no booking period to {login!r} on {page.url}")
    return page, urllib.parse.urljoin(peer_url, plannings.first.get_attribute("href"))


def peer_round(page, planning_url: str) -> dict:
    """Book the first free day of the peer's planning through to the reservations page, then take it back (untimed)."""
    page.goto(planning_url)
    page.wait_for_function(PEER_GRID_READY)
    cell = page.locator(PEER_FREE_DAY).first
    if not cell.count():
        sys.exit(f"no free open day left on the peer's planning {planning_url}")
    cell_id = cell.get_attribute("id")
    booked = f"[id='{cell_id}'].reservation, [id='{cell_id}'].demande, [id='{cell_id}'].attente"

    def journey():
        page.click(f"[id='{cell_id}']")
        page.wait_for_selector(booked)
        page.click("#enregistrer")
        page.wait_for_url("**/reservations")
        page.wait_for_load_state("load")

    # Shown when the reservations page's periods are on screen, which its load event (its images
    # too) can follow by a while: the peer is not made to wait for more than a parent looks at.
    result = recorded(page, journey, [{"selector": booked}, {"path": "/reservations$", "selector": PEER_PERIODS}])
    page.goto(planning_url)
    page.wait_for_function(PEER_GRID_READY)
    page.click(f"[id='{cell_id}']")
    page.wait_for_selector(booked, state="detached")
    page.click("#enregistrer")
    page.wait_for_url("**/reservations")
    return result


def summary(label: str, rounds: list[dict]) -> dict:
    """Print each round and the medians of the measured ones (the first is the warm-up)."""
    for index, result in enumerate(rounds):
        name = "warm-up" if index == 0 else f"round {index}"
        print(f"  {label} {name:<8} {result['requests']} requests, {result['bytes'] / 1024:6.1f} KiB, "
              f"{result['elapsed'] * 1000:6.0f} ms, the parent waits {result['waiting'] * 1000:4.0f} ms "
              f"({' + '.join(f'{step * 1000:.0f}' for step in result['steps'])})")
    measured = rounds[1:]
    medians = {key: statistics.median(r[key] for r in measured)
               for key in ("requests", "bytes", "elapsed", "in_requests", "waiting")}
    print(f"  {label} requests of a round: {', '.join(measured[-1]['urls'])}")
    print(f"{label} round trip, median of {len(measured)}: {medians['requests']:.0f} requests, "
          f"{medians['bytes'] / 1024:.1f} KiB, {medians['elapsed'] * 1000:.0f} ms "
          f"(of which {medians['in_requests'] * 1000:.0f} ms from the requests' sending to their last byte, summed; "
          "the rest is the browser's and the driver's); the parent waits "
          f"{medians['waiting'] * 1000:.0f} ms (each click to its answer on screen, summed, timed in the page)")
    return medians


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="rounds measured after the first (default 9)")
    peer_options = parser.add_argument_group("the peer (Noethysweb's family portal, already running: README)")
    peer_options.add_argument("--peer-url", default=os.environ.get("PEER_URL"), help="the portal's root, e.g. http://localhost:8765/")
    peer_options.add_argument("--peer-login", default=os.environ.get("PEER_LOGIN"), help="a family's portal login")
    peer_options.add_argument("--peer-password", default=os.environ.get("PEER_PASSWORD"))
    peer_options.add_argument("--peer-static", default=os.environ.get("PEER_STATIC"),
                              help="the peer's collected static folder (its STATIC_ROOT), served from disk like ours")
    peer_options.add_argument("--peer-captcha", default=os.environ.get("PEER_CAPTCHA", "PASSED"),
                              help="the login form's captcha answer (default PASSED: the peer in CAPTCHA_TEST_MODE)")
    options = parser.parse_args()
    if options.rounds < 1:
        parser.error("--rounds must be at least 1 (the first round of each side is a warm-up, left out of the medians)")
    if options.peer_url and not (options.peer_login and options.peer_password and options.peer_static):
        parser.error("--peer-url needs --peer-login, --peer-password and --peer-static (or PEER_* variables)")
    calendar_bench.FAMILIES, calendar_bench.RESERVATIONS = 200, 4_000
    old_config = setup_databases(verbosity=0, interactive=False)
    gunicorn = front = None
    try:
        from playwright.sync_api import sync_playwright

        from portal.dates import add_months
        from reservations.models import Activity

        started = time.perf_counter()
        user, kids, activities = calendar_bench.fill()
        activity = Activity.objects.get(pk=activities[1].pk)   # unlimited places: every round finds an open day
        port = free_port()
        ours_front = nginx.Front(free_port(), f"127.0.0.1:{port}", STATIC)
        fronts = [ours_front]
        if options.peer_url:
            peer_address = urllib.parse.urlsplit(options.peer_url)
            peer_front = nginx.Front(free_port(), peer_address.netloc, Path(options.peer_static))
            fronts.append(peer_front)
        origin = f"http://{HOST}:{ours_front.listen}"
        gunicorn = start_gunicorn(port, 2, host=HOST, extra_env={
            "CSRF_TRUSTED_ORIGINS": origin, "SECRET_KEY": settings.SECRET_KEY})   # its sessions are ours
        front = nginx.start(fronts)
        print(f"round trip: data built, gunicorn (2 workers, DEBUG off, PostgreSQL) and nginx up in "
              f"{time.perf_counter() - started:.0f} s; Chromium headless")
        this_month = timezone.localdate().replace(day=1)
        calendar_urls = [f"{origin}/reservations/?child={kids[0].id}&activity={activity.id}"
                         f"&month={add_months(this_month, ahead):%Y-%m}" for ahead in range(3)]
        session = session_of(user)   # before Playwright: its sync API runs an event loop, where the ORM refuses to run
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)

            def new_context(headers: dict):
                # No request routing: it would turn the browser's cache off, and the static files (from
                # nginx, a year's cache) are loaded once per side, as a parent's browser keeps them.
                context = browser.new_context(extra_http_headers=headers, locale="fr-FR")
                context.add_init_script(WAITING_SCRIPT)
                return context

            context = new_context({"X-Forwarded-Proto": "https"})   # as behind our https proxy
            page = context.new_page()
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": origin,
                                  "httpOnly": True, "secure": True, "sameSite": "Lax"}])
            peer: tuple | None = None   # the peer's page and its planning's URL
            if options.peer_url:
                # No proxy header for the peer: it is served in plain http here, and gunicorn, which trusts
                # X-Forwarded-Proto from 127.0.0.1, would make it see https and refuse the login's CSRF origin.
                peer_url = urllib.parse.urlunsplit(peer_address._replace(netloc=f"{HOST}:{peer_front.listen}"))
                peer = peer_login(new_context({}), peer_url, options.peer_login, options.peer_password,
                                  options.peer_captcha)
                print(f"the peer: {options.peer_url} behind nginx at {peer_url}, planning "
                      f"{urllib.parse.urlsplit(peer[1]).path}")
            rounds, peer_rounds = [], []
            for _ in range(options.rounds + 1):   # alternated: both sides under the same load
                rounds.append(one_round(page, calendar_urls))
                if peer is not None:
                    peer_rounds.append(peer_round(*peer))
            browser.close()
        ours = summary("ours", rounds)
        if peer_rounds:
            theirs = summary("peer", peer_rounds)
            print(f"ours / peer: the parent's waiting {ours['waiting'] / theirs['waiting']:.2f}×, the driver's "
                  f"time {ours['elapsed'] / theirs['elapsed']:.2f}×, requests {ours['requests'] / theirs['requests']:.2f}×, "
                  f"bytes {ours['bytes'] / theirs['bytes']:.2f}×  (issue 16 target: ≤ 0.5×; the driver's time also "
                  "counts its own 40-55 ms a click: three clicks ours, two the peer's)")
        else:
            print("  (target: ≤ 0.5× the peer's: give --peer-url to measure it in the same run — README)")
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        return 0
    finally:
        nginx.stop(front)
        shut_down(gunicorn, old_config)


if __name__ == "__main__":
    sys.exit(main())
