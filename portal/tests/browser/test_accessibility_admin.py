"""Accessibility audit of the staff's pages: the project's own admin templates (login, staff
home, family at a glance with its forms, import, second factor, generating days, launching
the night, attendance, the e-mail preview) and its customised lists and forms (families,
days with their places, requests, payments, deadline rules). axe-core must find nothing
serious or critical, apart from the stock Django widgets of STOCK_WIDGETS (not ours to change).
"""
import datetime
import re

import pytest
from playwright.sync_api import expect

from accounts.services import staff_user_enrol
from accounts.tests.factories import (
    TEST_PASSWORD,
    ChildFactory,
    FamilyFactory,
    StaffMembershipFactory,
    StructureFactory,
    UserFactory,
)
from notifications.models import OutboxEmail
from reservations.models import Reservation, TransmissionRun
from reservations.tests.booking_world import make_activity
from reservations.tests.factories import DeadlineRuleFactory, EnrolmentFactory, OccurrenceFactory, ReservationFactory

from .helpers import BLOCKING_IMPACTS, axe_violations, format_violations

pytestmark = pytest.mark.browser
State = Reservation.State

# Stock Django admin markup we did not change, by the CSS selector axe gives of the node: the
# inputs of tabular inlines and of editable lists (one label per column header, none per input:
# #id_children-0-first_name, #id_form-0-places), the select2 autocomplete widget, and the two
# inputs of a SplitDateTimeWidget (one label for both).
STOCK_WIDGETS = re.compile(r"^(#id_[a-z_]+-\d+-[A-Za-z_]+|\.select2-|#select2-|#id_fixed_deadline_[01]$)")
KNOWN_RULES = ("label", "select-name", "aria-input-field-name", "list")


@pytest.fixture
def office(travel_to):
    travel_to(2026, 11, 26, 10, 0)
    structure = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    parent = UserFactory(username="guide", first_name="Denis", last_name="GUIDE")
    family = FamilyFactory(structure=structure, number="000123", payer_name="GUIDE DENIS", email="denis.guide@example.org",
                           users=[parent])
    emmy = ChildFactory(family=family, first_name="Emmy", last_name="GUIDE", group="CP - École du Centre")
    rule = DeadlineRuleFactory(structure=structure)
    canteen = make_activity(structure, name="Restauration Scolaire", amount="3.59", places=2, waiting=1, rule=rule)
    EnrolmentFactory(child=emmy, activity=canteen)
    today = OccurrenceFactory(activity=canteen, date=datetime.date(2026, 11, 26), places=2, waiting_places=1)
    OccurrenceFactory(activity=canteen, date=datetime.date(2026, 12, 1), places=2, waiting_places=1)
    ReservationFactory(occurrence=today, family=family, child=emmy, state=State.ACCEPTED)
    run = TransmissionRun.objects.create(structure=structure, status=TransmissionRun.Status.FINISHED,
                                         counts={"occurrences": 1, "accepted": 1})
    email = OutboxEmail.objects.create(family=family, run=run, recipient="denis.guide@example.org",
                                       subject="Compte rendu de la nuit", body_text="Bonjour", body_html="<p>Bonjour</p>",
                                       kind=OutboxEmail.Kind.NIGHTLY_REPORT)
    agent = UserFactory(username="agent.carteville", first_name="Agent", last_name="CarteVille", is_staff=True)
    StaffMembershipFactory(user=agent, structure=structure)
    staff_user_enrol(user=agent)
    return {"family": family, "occurrence": today, "run": run, "email": email, "rule": rule, "activity": canteen}


def audit(page, label) -> list[str]:
    """The serious and critical violations on the page, but the stock widgets', as readable lines."""
    violations = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
    left = []
    for violation in violations:
        nodes = [node for node in violation["nodes"]
                 if not (violation["id"] in KNOWN_RULES and STOCK_WIDGETS.match(node["target"]))]
        if nodes:
            left.append({**violation, "nodes": nodes})
    return [f"{label} ({page.url}):\n{format_violations(left)}"] if left else []


def test_the_staff_pages_have_no_serious_accessibility_violation(new_context, office):
    # axe-core adds a <style> element while it checks some admin pages: the site's CSP would
    # refuse it (and fail the test on axe's account); the CSP itself is tested elsewhere.
    page = new_context(bypass_csp=True).new_page()
    page.goto("/admin/login/")
    found = audit(page, "admin login")
    page.get_by_label(re.compile("Nom d.utilisateur")).fill("agent.carteville")
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("button", name="Déconnexion")).to_be_visible()
    family, occurrence = office["family"], office["occurrence"]
    pages = {
        "staff home": "/admin/",
        "families": "/admin/accounts/family/",
        "a family": f"/admin/accounts/family/{family.pk}/change/",
        "family at a glance": f"/admin/accounts/family/{family.pk}/vue-ensemble/",
        "import families": "/admin/accounts/family/import/",
        "children": "/admin/accounts/child/",
        "second factor": "/admin/deuxieme-facteur/",
        "activities": "/admin/reservations/activity/",
        "an activity": f"/admin/reservations/activity/{office['activity'].pk}/change/",
        "generate days": "/admin/reservations/activity/generer/",
        "deadline rule": f"/admin/reservations/deadlinerule/{office['rule'].pk}/change/",
        "days": "/admin/reservations/occurrence/",
        "a day": f"/admin/reservations/occurrence/{occurrence.pk}/change/",
        "requests": "/admin/reservations/reservation/",
        "nights": "/admin/reservations/transmissionrun/",
        "launch the night": "/admin/reservations/transmissionrun/lancer/",
        "attendance": f"/admin/reservations/transmissionrun/presences/?activity={occurrence.activity_id}&day=2026-11-26",
        "payments": "/admin/billing/payment/",
        "add a payment": "/admin/billing/payment/add/",
        "e-mails": "/admin/notifications/outboxemail/",
    }
    pages["an e-mail"] = f"/admin/notifications/outboxemail/{office['email'].pk}/change/"
    for label, url in pages.items():
        response = page.goto(url)
        assert response is not None and response.status == 200, (label, url, response and response.status)
        found += audit(page, label)
    assert not found, "axe: serious/critical violations:\n" + "\n".join(found)
