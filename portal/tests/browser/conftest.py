"""Harness for the end-to-end tests: Playwright (sync API) driving Debian's Chromium.

The browser talks to pytest-django's ``live_server`` (a thread of this process, on
the test PostgreSQL database), so the tests are transactional and anything the
server does (e-mails in ``mail.outbox``, rows in the database) is visible here.
Chromium is never downloaded by Playwright: ``/usr/bin/chromium`` is used
(``.ci/ensure_services.sh`` installs it when missing).
"""
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils.module_loading import import_string

# Playwright's sync API runs an asyncio loop in this thread; the ORM calls the tests
# make between two browser steps are still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
# Generous enough for a loaded 2-core CI machine, short enough to fail fast.
EXPECT_TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config, items):
    """Every test in this folder is a browser test (`-m "not browser"` skips them all)."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make services` (apt-get install chromium).")
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser, live_server):
    """Factory of fresh browser contexts (own cookies) on the live server; all closed at the end."""
    contexts = []
    csp_violations = []

    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            csp_violations.append(f"{message.location.get('url', '')}: {message.text}")

    def make(*, viewport=None, **kwargs):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport or DESKTOP,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            accept_downloads=True,
            **kwargs,
        )
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        # Every page of every journey runs under the real Content-Security-Policy: a refused
        # inline script or style (or any other violation) fails the test that met it.
        context.on("console", on_console)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def phone_page(new_context):
    return new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()


def log_in_context(context, user, live_server):
    """Open a session for ``user`` in this browser context without going through the form.

    The journeys that test the login page use the form; the others start logged in.
    """
    engine = import_string(settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME,
        "value": session.session_key,
        "url": live_server.url,
        "httpOnly": True,
        "sameSite": "Lax",
    }])


@pytest.fixture
def login_as(live_server):
    def login(context, user):
        log_in_context(context, user, live_server)
        return context

    return login


@pytest.fixture
def travel_to():
    """Move the clock of this process (tests and live server thread) to a Paris date and time.

    The clock keeps ticking from there so the browser's timeouts behave; Chromium's own
    clock is not moved (pages do not compute dates in JavaScript).
    """
    import datetime
    import zoneinfo

    import time_machine

    travellers = []

    def travel(*args):
        moment = datetime.datetime(*args, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(moment, tick=True)
        traveller.start()
        travellers.append(traveller)
        return moment

    yield travel
    for traveller in travellers:
        traveller.stop()
