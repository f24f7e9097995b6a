"""Screenshots of the main pages for the README: `make screenshots` (sets SCREENSHOTS_DIR).

Skipped when SCREENSHOTS_DIR is unset, so `make test` never rewrites docs/screenshots/.
The pages are filled by the apps' demo seed (`seed_demo`), as a visitor of `make run` sees them.
"""
import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from accounts.models import User

SCREENSHOTS_DIR = os.environ.get("SCREENSHOTS_DIR", "")
MAX_HEIGHT = 1400

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not SCREENSHOTS_DIR, reason="set SCREENSHOTS_DIR (make screenshots) to write the screenshots"),
]


def url_or_skip(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        pytest.skip(f"{name} is not built yet")


def shoot(page, name):
    """Write <name>.png: the page from its top, at most MAX_HEIGHT pixels tall."""
    folder = Path(SCREENSHOTS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => document.fonts.ready")
    height = page.evaluate("() => document.documentElement.scrollHeight")
    width = page.viewport_size["width"]
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True, animations="disabled", caret="hide",
                    clip={"x": 0, "y": 0, "width": width, "height": min(height, MAX_HEIGHT)})


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", stdout=io.StringIO())


def test_screenshot_login_and_home(page, demo, login_as):
    page.goto(reverse("accounts:login"))
    page.get_by_label("Identifiant").fill("guide")
    shoot(page, "01-connexion")
    login_as(page.context, User.objects.get(username="guide"))
    page.goto("/")
    expect(page.locator("article.structure-message").first).to_be_visible()
    shoot(page, "02-accueil")


def test_screenshot_history_and_balance_as_in_the_guide(page, demo, login_as, travel_to):
    # February 2017: the previous month is the guide's January 2017 of Emmy GUIDE.
    travel_to(2017, 2, 10, 9, 0)
    login_as(page.context, User.objects.get(username="guide"))
    page.goto(reverse("billing:consumptions") + "?mois=2017-01")
    expect(page.locator("table.history-table tbody tr").first).to_be_visible()
    shoot(page, "03-historique-consommations")
    page.goto(reverse("billing:payments") + "?mois=2017-01")
    shoot(page, "04-historique-reglements")
    page.goto(reverse("billing:balance"))
    expect(page.locator("table.balance-table")).to_be_visible()
    shoot(page, "05-solde")
