"""A parent books and cancels days on the calendar, with and without htmx, and confirms in two steps."""
import datetime

import pytest
from playwright.sync_api import expect

from reservations.models import Reservation
from reservations.tests.booking_world import make_activity, make_world
from reservations.tests.factories import EnrolmentFactory, OccurrenceFactory, ReservationFactory

from .helpers import audit_page, tab_to

pytestmark = pytest.mark.browser
D = datetime.date


@pytest.fixture
def world(travel_to):
    travel_to(2026, 11, 26, 10, 0)
    world = make_world(places=1, waiting=1, children=2)
    garderie = make_activity(world.structure, name="Garderie Soir Scolaire", places=0, waiting=0)
    for child in world.children:
        EnrolmentFactory(child=child, activity=garderie)
    OccurrenceFactory(activity=garderie, date=D(2026, 12, 2))
    ReservationFactory(family=world.family, child=world.children[0], occurrence=world.occurrences[D(2026, 12, 4)],
                       state=Reservation.State.ACCEPTED)
    return world


def test_parent_books_with_htmx_confirms_and_reads_the_remarks(page, world, login_as):
    login_as(page.context, world.user)
    emmy = world.children[0]
    page.goto(f"/reservations/?child={emmy.id}&activity={world.activity.id}&month=2026-12")
    expect(page.get_by_role("heading", name="Décembre 2026 — Restauration Scolaire")).to_be_visible()
    audit_page(page, label="calendar (activity)")
    page.wait_for_function("() => window.htmx !== undefined")

    # Keyboard: the day is a real button inside a form; Enter toggles it in place (htmx).
    day = page.locator("#jour-2026-12-01 button")
    tab_to(page, day)
    page.keyboard.press("Enter")
    expect(page.locator("#jour-2026-12-01")).to_contain_text("À réserver")
    expect(page.locator("#panier-compteur")).to_contain_text("1 demande")
    page.locator("#jour-2026-12-04 button").click()
    expect(page.locator("#jour-2026-12-04")).to_contain_text("À annuler")

    # The aggregate month and the day page list every activity.
    page.goto(f"/reservations/?child={emmy.id}&month=2026-12")
    page.locator("#jour-2026-12-02 button").click()
    expect(page.get_by_role("heading", name="Activités disponibles le mercredi 2 décembre 2026")).to_be_visible()
    expect(page.locator(".pf-slot", has_text="Garderie Soir Scolaire")).to_contain_text("Ouverte")
    audit_page(page, label="day page")
    page.get_by_role("button", name="Réserver ce jour : Garderie Soir Scolaire").click()
    expect(page.locator(".pf-slot", has_text="Garderie Soir Scolaire")).to_contain_text("À réserver")

    page.locator("#panier-compteur").click()
    expect(page.get_by_role("heading", name="Récapitulatif des réservations")).to_be_visible()
    expect(page.get_by_role("heading", name="Récapitulatif des annulations")).to_be_visible()
    audit_page(page, label="cart summary")
    # Someone else takes the last place meanwhile: the result says so.
    ReservationFactory(occurrence=world.occurrences[D(2026, 12, 1)], state=Reservation.State.NOT_TRANSMITTED)
    page.get_by_role("button", name="Valider réellement").click()
    expect(page.get_by_role("heading", name="Remarques concernant vos réservations")).to_be_visible()
    expect(page.locator("table")).to_contain_text("Mise en liste d'attente")
    expect(page.locator(".alert-warning")).to_contain_text("disponibilité a changé")
    audit_page(page, label="confirmation")
    assert Reservation.objects.filter(child=emmy, waiting_mark=True).count() == 1
    assert Reservation.objects.get(child=emmy, occurrence=world.occurrences[D(2026, 12, 4)]).cancel_requested_at


def test_calendar_works_without_javascript_and_fits_a_phone(new_context, world, login_as):
    context = new_context(java_script_enabled=False, viewport={"width": 375, "height": 812})
    login_as(context, world.user)
    page = context.new_page()
    page.goto(f"/reservations/?child={world.children[1].id}&activity={world.activity.id}&month=2026-12")
    page.locator("#jour-2026-12-07 button").click()   # POST then redirect back
    expect(page.locator("#jour-2026-12-07")).to_contain_text("À réserver")
    expect(page.locator("#jour-2026-12-01")).to_contain_text("1 place")
    # The text is in before the stylesheet has applied; measured then, the unstyled grid overflowed.
    page.wait_for_load_state("load")
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")
    page.goto("/reservations/semaine-type/")
    page.get_by_label("Activité").select_option(label="Restauration Scolaire")
    page.get_by_label("Lundi").check()
    page.get_by_label("Jeudi").check()
    page.get_by_role("button", name="Mettre ces jours dans le panier").click()
    expect(page.get_by_role("heading", name="Jours non ajoutés")).to_be_visible()
    expect(page.locator("table")).to_contain_text("Hors délai")
