"""A parent at night on a 375 px phone, then at a desktop with the keyboard (issue 11).

Every line's cost and remark and the totals of the summary, the result, the follow-up and the
histories are inside the screen (element boxes, not only the page width); the days of the
calendar show what they cost; every focusable element shows a ring of at least 3:1; after a day
is toggled the focus is back on that day and the change is read out.
"""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from billing.tests.factories import ConsumptionFactory, PaymentFactory, WalletFactory
from reservations.models import CartLine, Reservation
from reservations.tests.booking_world import make_world
from reservations.tests.factories import ReservationFactory

from .conftest import DESKTOP, PHONE
from .helpers import assert_focus_ring_on_every_stop, audit_page, boxes_outside_view, focus_indicator, tab_to

pytestmark = pytest.mark.browser
D = datetime.date
LONG_NAME = "Accueil de loisirs 3-6 ans - Mercredi Après-Midi avec repas"


@pytest.fixture
def night(travel_to):
    """Thursday 26/11/2026 22:00. Emmy and Paolo; one place and one waiting place a day; the 3rd
    is full (place and waiting place taken by others). The cart: Emmy on the 1st, 2nd, 3rd, 4th,
    Paolo on the 1st and 2nd — several lines, one waiting-listed and one full at confirm time."""
    travel_to(2026, 11, 26, 22, 0)
    world = make_world(places=1, waiting=1, children=2)
    world.activity.name = LONG_NAME
    world.activity.save(update_fields=["name"])
    emmy, paolo = world.children
    for state in (Reservation.State.ACCEPTED, Reservation.State.WAITING_LIST):
        ReservationFactory(occurrence=world.occurrences[D(2026, 12, 3)], state=state)
    for child, days in ((emmy, (1, 2, 3, 4)), (paolo, (1, 2))):
        for day in days:
            CartLine.objects.create(family=world.family, child=child, occurrence=world.occurrences[D(2026, 12, day)],
                                    action=CartLine.Action.BOOK)
    return world


def assert_in_view(page, selector, *, count=None, label=""):
    if count is not None:
        expect(page.locator(selector)).to_have_count(count)
    outside = boxes_outside_view(page, selector)
    assert not outside, f"{label}: out of view at 375 px:\n" + "\n".join(outside)


def test_summary_and_result_show_every_cost_remark_and_total_on_a_phone(phone_page, night, login_as):
    page = phone_page
    login_as(page.context, night.user)
    page.goto(reverse("reservations:cart"))
    expect(page.get_by_role("heading", name="Récapitulatif des réservations")).to_be_visible()
    assert_in_view(page, "table tbody td.pf-cost", count=6, label="récapitulatif")
    assert_in_view(page, "table tfoot .pf-total", count=1, label="récapitulatif")
    expect(page.locator("table tfoot .pf-total")).to_have_text("21,54\u00a0€")     # 6 × 3,59
    # Each block says what each figure is.
    first = page.locator("table tbody tr").first
    for label in ("Date", "Activité", "Enfant", "Arr.", "Dép.", "Coût"):
        expect(first.locator(f"[data-label='{label}']")).to_be_visible()
    audit_page(page, label="récapitulatif (téléphone)")

    page.get_by_role("button", name="Valider réellement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("5 demandes enregistrées, réponse cette nuit")
    expect(page.get_by_role("heading", name="Important")).to_be_visible()
    expect(page.get_by_role("heading", name="Récapitulatif des réservations")).to_be_visible()
    assert_in_view(page, "table tbody td.pf-remark", count=6, label="résultat")
    assert_in_view(page, "table tbody td.pf-cost", count=6, label="résultat")
    remarks = page.locator("table tbody td.pf-remark")
    expect(remarks.filter(has_text="Mise en liste d'attente")).to_have_count(2)
    expect(remarks.filter(has_text="Non traitée, activité complète")).to_have_count(1)
    audit_page(page, label="résultat (téléphone)")

    page.goto(f"{reverse('reservations:followup')}?du=2026-12-01&au=2026-12-31&type=tous")
    assert_in_view(page, "table.followup-table tbody td[data-label='Coût']", count=5, label="suivi")
    assert_in_view(page, "table.followup-table tbody td[data-label='État']", count=5, label="suivi")


def test_histories_are_blocks_with_their_total_in_view_on_a_phone(phone_page, night, login_as):
    page = phone_page
    wallet = WalletFactory(structure=night.structure, name="Restauration")
    for day in range(2, 12):
        ConsumptionFactory(family=night.family, child=night.children[day % 2], wallet=wallet, day=D(2026, 11, day),
                           activity_label=LONG_NAME, unit_price=Decimal("12.34"), quantity=Decimal("2"))
    for day in (3, 17):
        PaymentFactory(family=night.family, date=D(2026, 11, day), payer_name="DUPONT JEAN-PAUL ET MARIE-CLAIRE",
                       bank_name="CAISSE D'EPARGNE ILE DE FRANCE", amount=Decimal("1234.56"))
    login_as(page.context, night.user)
    page.goto(f"{reverse('billing:consumptions')}?mois=2026-11")
    assert_in_view(page, "table.history-table tbody td.pf-cost", count=10, label="consommations")
    assert_in_view(page, "table.history-table tfoot .pf-total", count=1, label="consommations")
    expect(page.locator("table.history-table tfoot")).to_contain_text("246,80")
    audit_page(page, label="consommations (téléphone)")
    page.goto(f"{reverse('billing:payments')}?du=2026-11&au=2026-11")
    assert_in_view(page, "table.history-table tbody td.pf-cost", count=2, label="règlements")
    assert_in_view(page, "table.history-table tfoot .pf-total", count=1, label="règlements")
    audit_page(page, label="règlements (téléphone)")


def test_each_day_shows_its_cost_in_the_grid_and_its_deadline_and_cost_in_the_phone_list(new_context, night, login_as):
    context = new_context(viewport=DESKTOP)
    login_as(context, night.user)
    page = context.new_page()
    emmy = night.children[0]
    page.goto(f"/reservations/?child={emmy.id}&activity={night.activity.id}&month=2026-12")
    day = page.locator("#jour-2026-12-08")
    expect(day.locator(".pf-cell-cost")).to_be_visible()
    expect(day.locator(".pf-cell-cost")).to_have_text("3,59\u00a0€")
    assert day.locator("button").get_attribute("title") is None   # nothing only in a tooltip
    page.set_viewport_size(PHONE)
    expect(day.locator(".pf-cell-cost")).to_be_visible()
    expect(day.locator(".pf-cell-deadline")).to_be_visible()
    expect(day.locator(".pf-cell-deadline")).to_contain_text("Modifiable jusqu'au lundi 7 décembre à 09:00")
    assert_in_view(page, "#jour-2026-12-08 .pf-cell-cost, #jour-2026-12-08 .pf-cell-deadline", label="liste des jours")


def test_every_focusable_element_shows_a_ring_of_at_least_3_to_1(page, night, login_as):
    login_as(page.context, night.user)
    emmy = night.children[0]
    pages = {
        "calendrier (une activité)": f"/reservations/?child={emmy.id}&activity={night.activity.id}&month=2026-12",
        "calendrier (toutes)": f"/reservations/?child={emmy.id}&activity=toutes&month=2026-12",
        "jour": f"/reservations/jour/2026-12-08/?child={emmy.id}",
        "récapitulatif": reverse("reservations:cart"),
        "semaine type": reverse("reservations:week_pattern"),
        "suivi": reverse("reservations:followup"),
        "solde": reverse("billing:balance"),
        "profil": reverse("accounts:profile"),
    }
    for label, url in pages.items():
        page.goto(url)
        assert assert_focus_ring_on_every_stop(page, label=label) > 5, label


def test_after_a_toggle_the_focus_is_on_that_day_and_the_change_is_read_out(page, night, login_as):
    login_as(page.context, night.user)
    emmy = night.children[0]
    page.goto(f"/reservations/?child={emmy.id}&activity={night.activity.id}&month=2026-12")
    button = page.locator("#jour-2026-12-08 button")
    tab_to(page, button)
    page.keyboard.press("Enter")
    expect(page.locator("#jour-2026-12-08")).to_contain_text("À réserver")
    expect(page.locator("#pf-annonce")).to_have_text("mardi 8 décembre : À réserver. Panier : 7 demandes")
    assert page.evaluate("() => document.activeElement.closest('#jour-2026-12-08') !== null")
    assert focus_indicator(page)["ok"], focus_indicator(page)
    # Space takes it out again; the focus stays on the day.
    page.keyboard.press("Space")
    expect(page.locator("#jour-2026-12-08")).to_contain_text("Ouverte")
    expect(page.locator("#pf-annonce")).to_have_text("mardi 8 décembre : Ouverte. Panier : 6 demandes")
    assert page.evaluate("() => document.activeElement.closest('#jour-2026-12-08') !== null")


def test_the_week_pattern_boxes_are_big_enough_for_a_finger(phone_page, night, login_as):
    page = phone_page
    login_as(page.context, night.user)
    page.goto(reverse("reservations:week_pattern"))
    boxes = page.locator(".pf-big-checks input[type=checkbox]")
    expect(boxes).to_have_count(7)
    for index in range(7):
        box = boxes.nth(index).bounding_box()
        target = boxes.nth(index).locator("xpath=..").bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, box
        assert target["height"] >= 44, target
    # The label is part of the target: a tap on the word ticks the box.
    page.get_by_label("Mardi").locator("xpath=..").locator("label").click()
    expect(page.get_by_label("Mardi")).to_be_checked()
    audit_page(page, label="semaine type (téléphone)")
