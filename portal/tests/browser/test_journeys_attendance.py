"""Attendance at the door on a tablet: find a child by name, mark the absence, record it."""
import datetime

import pytest
from playwright.sync_api import expect

from accounts.services import staff_user_enrol
from accounts.tests.factories import ChildFactory, FamilyFactory, StaffMembershipFactory, StructureFactory, UserFactory
from reservations.models import Reservation
from reservations.tests.factories import ActivityFactory, OccurrenceFactory, ReservationFactory

from .helpers import assert_no_serious_axe_violations

pytestmark = pytest.mark.browser

TABLET = {"width": 1024, "height": 768}
GROUPS = ["CP - École Jules Ferry", "CE1 - École Jules Ferry", ""]
# WCAG 2.5.5 (target size, enhanced): 44 × 44 CSS pixels for a finger at the door.
TOUCH_TARGET_PX = 44


@pytest.fixture
def morning(travel_to):
    travel_to(2026, 12, 2, 8, 30)
    structure = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    occurrence = OccurrenceFactory(activity=ActivityFactory(structure=structure, name="Restauration Scolaire"),
                                   date=datetime.date(2026, 12, 2))
    for n in range(30):
        family = FamilyFactory(structure=structure, payer_name=f"FAMILLE{n:02d} Jean")
        child = ChildFactory(family=family, first_name="Élodie" if n == 4 else f"Enfant{n:02d}",
                             last_name=f"NOM{n:02d}", group=GROUPS[n % 3])
        ReservationFactory(occurrence=occurrence, family=family, child=child, state=Reservation.State.ACCEPTED)
    agent = UserFactory(username="agent.carteville", is_staff=True)
    StaffMembershipFactory(user=agent, structure=structure)
    staff_user_enrol(user=agent)
    return {"agent": agent, "occurrence": occurrence}


def test_staff_find_a_child_and_mark_only_the_absence(new_context, login_as, morning):
    context = login_as(new_context(viewport=TABLET, has_touch=True), morning["agent"])
    page = context.new_page()
    occurrence = morning["occurrence"]
    page.goto(f"/admin/reservations/transmissionrun/presences/?activity={occurrence.activity_id}&day=2026-12-02")
    expect(page.get_by_text("30 enfants attendus")).to_be_visible()
    expect(page.get_by_role("heading", name="Sans groupe")).to_be_visible()
    expect(page.locator(".attendance-row")).to_have_count(30)

    page.get_by_label("Chercher un enfant").fill("elodie")  # no accent typed: found all the same
    visible = page.locator(".attendance-row:visible")
    expect(visible).to_have_count(1)
    expect(visible).to_contain_text("NOM04 Élodie")
    expect(page.get_by_role("heading", name="CP - École Jules Ferry")).to_be_hidden()
    absent = visible.get_by_label("Absent", exact=True)
    box = visible.locator("label.choice-absent").bounding_box()
    assert box["height"] >= TOUCH_TARGET_PX and box["width"] >= TOUCH_TARGET_PX, box
    absent.tap()
    expect(page.locator("[data-absent-count]")).to_have_text("1")
    expect(visible).to_have_class("attendance-row is-absent")

    page.get_by_label("Chercher un enfant").fill("personne")
    expect(page.get_by_text("Aucun enfant ne correspond à la recherche.")).to_be_visible()
    page.get_by_label("Chercher un enfant").fill("")
    expect(page.locator(".attendance-row:visible")).to_have_count(30)
    assert_no_serious_axe_violations(page, label="pointage des présences")

    page.get_by_role("button", name="Enregistrer les présences").click()
    expect(page.get_by_text("Présences enregistrées (1 modification).")).to_be_visible()
    marked = Reservation.objects.exclude(attendance="")
    assert [(r.child.first_name, r.attendance) for r in marked] == [("Élodie", "absent")]
