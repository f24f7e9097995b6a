"""The booking round trip on a 375 px phone without a page load (issue 16): day → summary → result.

The cart badge brings the summary in place of the calendar, "Valider réellement" brings the
result in place of the summary (htmx fragments, portal/fragments.py); the address bar follows,
the heading takes the focus and is read out; "back" shows each page as it is now. A refusal
comes the same way, with its French message, and loses nothing.
"""
import datetime
import re

import pytest
from playwright.sync_api import expect

from reservations.models import CartLine, Reservation
from reservations.tests.booking_world import make_world

from .helpers import audit_page

pytestmark = pytest.mark.browser
D = datetime.date


@pytest.fixture
def world(travel_to):
    travel_to(2026, 11, 30, 8, 30)   # the 1st of December can be booked until 09:00 today
    return make_world(places=2, waiting=1, children=1)


def watch_page_loads(page) -> list:
    """The whole-page loads (documents) the page makes from now on; htmx's requests are not."""
    loads: list = []
    page.on("request", lambda request: loads.append(request.url) if request.resource_type == "document" else None)
    return loads


def expect_heading_focused_and_read_out(page, name):
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(name)
    expect(heading).to_be_focused()
    expect(page.locator("#pf-annonce")).to_have_text(name)


def summary_of_one_day(page, world, login_as, day: str):
    """Logged in, the calendar of December, ``day`` (YYYY-MM-DD) put in the cart, the summary shown
    in place of the calendar by the cart badge."""
    login_as(page.context, world.user)
    page.goto(f"/reservations/?child={world.children[0].id}&activity={world.activity.id}&month=2026-12")
    page.wait_for_function("() => window.htmx !== undefined")
    page.locator(f"#jour-{day} button").click()
    expect(page.locator(f"#jour-{day}")).to_contain_text("À réserver")
    page.locator("#panier-compteur").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Récapitulatif de vos demandes")


def test_a_day_booked_through_summary_and_result_without_a_page_load_on_a_phone(phone_page, world, login_as):
    page = phone_page
    login_as(page.context, world.user)
    calendar = f"/reservations/?child={world.children[0].id}&activity={world.activity.id}&month=2026-12"
    page.goto(calendar)
    page.wait_for_function("() => window.htmx !== undefined")
    loads = watch_page_loads(page)

    page.locator("#jour-2026-12-02 button").click()
    expect(page.locator("#jour-2026-12-02")).to_contain_text("À réserver")
    page.locator("#panier-compteur").click()
    expect_heading_focused_and_read_out(page, "Récapitulatif de vos demandes")
    assert page.url.endswith("/reservations/panier/")
    expect(page).to_have_title(re.compile(r"^Récapitulatif de vos demandes · "))
    expect(page.locator("table[aria-labelledby=recap-reservations] tbody tr")).to_have_count(1)
    assert page.locator(".site-header").count() == 1 and page.locator("footer").count() == 1   # not doubled
    audit_page(page, label="récapitulatif en fragment (téléphone)")

    page.get_by_role("button", name="Valider réellement").click()
    expect_heading_focused_and_read_out(page, "Vos demandes sont enregistrées : réponse cette nuit")
    assert re.search(r"/reservations/panier/resultat/[0-9a-f-]{36}/$", page.url), page.url
    expect(page.locator("table[aria-labelledby=recapitulatif-reservations] tbody tr")).to_contain_text(
        "Demande enregistrée (non transmise)")
    audit_page(page, label="résultat en fragment (téléphone)")
    assert loads == [], f"whole pages loaded during the round trip: {loads}"
    assert Reservation.objects.filter(child=world.children[0], occurrence=world.occurrences[D(2026, 12, 2)],
                                      state=Reservation.State.NOT_TRANSMITTED).exists()
    result_url = page.url

    # Back: the summary's URL, shown as it is now (the cart is empty), then the calendar's.
    page.go_back()
    expect(page.get_by_role("heading", name="Récapitulatif de vos demandes")).to_be_visible()
    expect(page.get_by_text("Votre panier est vide")).to_be_visible()
    assert page.url.endswith("/reservations/panier/")
    # That back reloaded the summary (no history snapshots): a second back pressed while the
    # reload is still loading is dropped by the browser, as a person would see it do nothing.
    page.wait_for_load_state("load")
    page.go_back(wait_until="load")
    expect(page.locator("#jour-2026-12-02")).not_to_contain_text("À réserver")
    assert page.url.endswith(calendar)
    # The result's URL stays the result (a reload, a bookmark): a whole page then.
    page.goto(result_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos demandes sont enregistrées : réponse cette nuit")


def test_a_summary_too_old_is_refused_in_place_with_its_message_and_nothing_lost(phone_page, world, login_as, travel_to):
    page = phone_page
    summary_of_one_day(page, world, login_as, "2026-12-03")
    loads = watch_page_loads(page)
    travel_to(2026, 11, 30, 9, 10)
    assert page.context.request.get("/reservations/").ok   # the parent is still around: the session lives on
    travel_to(2026, 11, 30, 9, 31)   # the summary was shown more than an hour ago

    page.get_by_role("button", name="Valider réellement").click()
    expect_heading_focused_and_read_out(page, "Demande non enregistrée")
    expect(page.get_by_role("alert")).to_contain_text("Ce récapitulatif a plus d'une heure")
    assert page.url.endswith("/reservations/panier/") and loads == []
    assert not Reservation.objects.exists() and CartLine.objects.filter(family=world.family).count() == 1
    audit_page(page, label="refus en fragment (téléphone)")
    # "Retour" shows the summary again, fresh: confirming it now records the day.
    page.get_by_role("link", name="Retour").click()
    page.get_by_role("button", name="Valider réellement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos demandes sont enregistrées : réponse cette nuit")
    assert Reservation.objects.filter(family=world.family).count() == 1


def test_the_language_switcher_after_a_fragment_stays_on_the_page_shown(phone_page, world, login_as):
    """The footer's form is written with the calendar's address; the summary and the result come
    as fragments that move the address bar: changing the language shows the page the parent sees."""
    page = phone_page
    summary_of_one_day(page, world, login_as, "2026-12-02")
    page.get_by_role("button", name="Valider réellement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos demandes sont enregistrées : réponse cette nuit")
    result_url = page.url

    page.locator("#language-switcher").select_option("en")
    page.get_by_role("button", name="Changer de langue").click()

    page.wait_for_url(result_url)
    expect(page.locator("html")).to_have_attribute("lang", "en")
