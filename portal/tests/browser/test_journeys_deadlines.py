"""On a phone (375 px), a parent reads until when a day can be booked, and that a day booked
after its cancellation deadline will not be cancellable: day page, the calendar's day
list and the summary ("Valider")."""
import datetime

import pytest
from playwright.sync_api import expect

from reservations.models import DeadlineRule
from reservations.tests.booking_world import make_world
from reservations.tests.factories import DeadlineRuleFactory

from .helpers import audit_page

pytestmark = pytest.mark.browser
D = datetime.date
FINAL = "ne pourra plus être annulée"


@pytest.fixture
def world(travel_to):
    # Thursday 26 November 2026, 10:00. The town's rule: "réservation jusqu'à la veille 09:00 ;
    # annulation jusqu'à 7 jours avant" (7 days before at 00:00).
    travel_to(2026, 11, 26, 10, 0)
    world = make_world()
    world.activity.cancellation_rule = DeadlineRuleFactory(
        structure=world.structure, name="7 jours avant", kind=DeadlineRule.Kind.DAYS_BEFORE, days=7,
        at_time=datetime.time(0, 0))
    world.activity.save(update_fields=["cancellation_rule"])
    return world


def test_a_phone_shows_the_deadlines_in_words_on_the_day_list_the_day_page_and_the_summary(phone_page, world, login_as):
    page = phone_page
    login_as(page.context, world.user)
    emmy = world.children[0]

    # The calendar's day list (the month grid becomes a list on a phone).
    page.goto(f"/reservations/?child={emmy.id}&activity={world.activity.id}&month=2026-12")
    tuesday = page.locator("#jour-2026-12-01")
    expect(tuesday).to_contain_text("Réservable jusqu'au lundi 30 à 09:00 ; ne pourra plus être annulée.")
    expect(tuesday.locator(".pf-cell-deadline")).to_be_visible()
    later = page.locator("#jour-2026-12-10 .pf-cell-deadline")
    expect(later).to_be_visible()
    # A cancellation deadline at 00:00 is the end of the day before, never "jeudi 3 à 00:00".
    expect(later).to_have_text("Réservable jusqu'au mercredi 9 décembre à 09:00, "
                               "annulable jusqu'au mercredi 2 décembre à 23:59")
    # What the day costs is written beside it, not only read out.
    expect(page.locator("#jour-2026-12-10 .pf-cell-cost")).to_have_text("3,59\u00a0€")
    expect(page.locator("#jour-2026-12-10 .pf-cell-cost")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("à 00:00")
    audit_page(page, label="calendar day list (phone)")

    # The day page.
    page.goto(f"/reservations/jour/2026-12-01/?child={emmy.id}")
    slot = page.locator(".pf-slot", has_text="Restauration Scolaire")
    expect(slot.locator(".pf-deadline")).to_have_text("Réservable jusqu'au lundi 30 à 09:00 ; ne pourra plus être annulée.")
    expect(slot.locator(".pf-deadline")).to_be_visible()
    audit_page(page, label="day page (phone)")
    slot.get_by_role("button", name="Réserver ce jour").click()
    expect(slot).to_contain_text("À réserver")

    # The summary warns on that line only.
    page.goto(f"/reservations/?child={emmy.id}&activity={world.activity.id}&month=2026-12")
    page.locator("#jour-2026-12-10 button").click()
    expect(page.locator("#jour-2026-12-10")).to_contain_text("À réserver")
    page.locator("#panier-compteur").click()
    expect(page.get_by_role("heading", name="Récapitulatif des réservations")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="01/12/26").locator(".pf-final-warning")).to_be_visible()
    expect(rows.filter(has_text="01/12/26")).to_contain_text(
        "Une fois validée, cette réservation ne pourra plus être annulée (délai d'annulation dépassé).")
    expect(rows.filter(has_text="10/12/26")).not_to_contain_text(FINAL)
    audit_page(page, label="summary (phone)")
