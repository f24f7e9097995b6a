"""Screenshots of the main pages for the README: `make screenshots` (sets SCREENSHOTS_DIR).

Skipped when SCREENSHOTS_DIR is unset, so `make test` never rewrites docs/screenshots/.
The pages are filled by the apps' demo seed (`seed_demo`), as a visitor of `make run` sees them.
"""
import datetime
import io
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from accounts.models import User

SCREENSHOTS_DIR = os.environ.get("SCREENSHOTS_DIR", "")
MAX_HEIGHT = 1200

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
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide",
                    clip={"x": 0, "y": 0, "width": width, "height": min(height, MAX_HEIGHT)})
    small_png(path)


def small_png(path):
    """128-colour palette PNG: a third of the size, text still crisp (Pillow comes with WeasyPrint)."""
    try:
        from PIL import Image
    except ImportError:  # keep the full-colour file
        return
    with Image.open(path) as image:
        palette = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette.save(path, optimize=True)


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
    page.goto(reverse("billing:payments") + "?du=2017-01&au=2017-02")
    shoot(page, "04-historique-reglements")
    page.goto(reverse("billing:balance"))
    expect(page.locator("table.balance-table")).to_be_visible()
    shoot(page, "05-solde")


def test_screenshot_booking_flow_follow_up_and_report(page, demo, login_as, new_context):
    """Today's demo calendar of Emmy GUIDE: both modes, a day, the cart, the result, the follow-up,
    then the night's report e-mail (its HTML body rendered in the browser)."""
    from django.core import mail

    from reservations.models import Activity

    url_or_skip("reservations:calendar")
    guide = User.objects.get(username="guide")
    canteen = Activity.objects.get(structure__slug="carteville", name="Restauration Scolaire")
    login_as(page.context, guide)
    from django.utils import timezone

    first = timezone.localdate().replace(day=28) + datetime.timedelta(days=7)
    month = f"{first:%Y-%m}"   # next month: its days are open to booking
    page.goto(f"{reverse('reservations:calendar')}?activity={canteen.pk}&month={month}")
    open_cells = page.locator(".pf-calendar td:not(.pf-out) .pf-cell.st-open")
    expect(open_cells.first).to_be_visible()
    for cell_id in open_cells.evaluate_all("cells => cells.map(c => c.id)")[:2]:
        page.locator(f"#{cell_id} button").click()
        expect(page.locator(f"#{cell_id}")).to_contain_text("À réserver")
    shoot(page, "06-calendrier-activite")

    page.goto(f"{reverse('reservations:calendar')}?activity=toutes&month={month}")
    expect(page.locator(".pf-calendar .pf-state").first).to_be_visible()
    shoot(page, "07-calendrier-toutes-activites")
    page.locator(".pf-calendar td:not(.pf-out) .pf-cell.st-open button").first.click()
    expect(page.get_by_role("heading", name=re.compile("Activités disponibles le"))).to_be_visible()
    shoot(page, "08-activites-du-jour")

    page.locator("#panier-compteur").click()
    expect(page.get_by_role("button", name="Valider réellement")).to_be_visible()
    shoot(page, "09-recapitulatif")
    page.get_by_role("button", name="Valider réellement").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shoot(page, "10-resultat")

    if url_or_skip("reservations:followup"):
        page.goto(reverse("reservations:followup"))
        expect(page.locator("table.followup-table")).to_be_visible()
        shoot(page, "11-suivi")

    before = len(mail.outbox)
    call_command("transmit", "--structure", "carteville", verbosity=0)
    reports = [m for m in mail.outbox[before:] if guide.email in m.to or "denis.guide@example.org" in m.to]
    assert reports, "the night sent no report to the GUIDE family"
    html = reports[0].alternatives[0][0]
    # A fresh page (about:blank), as a mail client shows it: set_content on a page of the site
    # would keep the site's Content-Security-Policy, which refuses the e-mail's inline styles.
    mail_page = page.context.new_page()
    mail_page.set_content(html)
    shoot(mail_page, "12-email-compte-rendu")

    phone = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
    login_as(phone.context, guide)
    phone.goto(f"{reverse('reservations:calendar')}?activity=toutes&month={month}")
    expect(phone.locator(".pf-calendar td:not(.pf-out) .pf-state").first).to_be_visible()
    shoot(phone, "13-calendrier-telephone")
