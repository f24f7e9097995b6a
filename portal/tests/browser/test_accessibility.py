"""Accessibility audit: every calendar state in both modes, and the pages a parent meets when
something is wrong. axe-core must find nothing serious or critical; states are written as text;
nothing scrolls sideways on a 375 px phone.
"""
import datetime
import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory, UserFactory
from reservations.models import CartLine, Reservation
from reservations.tests.booking_world import make_activity
from reservations.tests.factories import DeadlineRuleFactory, EnrolmentFactory, OccurrenceFactory, ReservationFactory

from .helpers import audit_page

pytestmark = pytest.mark.browser

State = Reservation.State
D = datetime.date


@pytest.fixture
def every_state(travel_to):
    """Thursday 26/11/2026 10:00; deadline "la veille à 09:00"; one place and one waiting place a day.

    Paolo's days, one state each (activity mode → day mode):
    25/11 past → closed / nothing open;   26/11 accepted, too late → booked locked;
    27/11 waiting list, too late → waiting locked;   30/11 free → open (1 place);
    01/12 place taken → waiting list open;   02/12 place and waiting place taken → full;
    03/12 accepted → booked;   04/12 waiting list → waiting;
    07/12 in the cart → to book;   08/12 place taken, in the cart → to book (waiting list);
    09/12 accepted, cancel in the cart → to cancel.
    """
    travel_to(2026, 11, 26, 10, 0)
    structure = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    user = UserFactory(username="dupont", first_name="Jean-Paul", last_name="DUPONT")
    family = FamilyFactory(structure=structure, payer_name="DUPONT Jean-Paul", users=[user])
    paolo = ChildFactory(family=family, first_name="Paolo", last_name="DUPONT")
    others = [ChildFactory(family__structure=structure, first_name=f"Voisin{i}") for i in range(2)]
    rule = DeadlineRuleFactory(structure=structure)
    activity = make_activity(structure, name="Centre de loisirs", amount="7.64", places=1, waiting=1, rule=rule)
    for child in [paolo, *others]:
        EnrolmentFactory(child=child, activity=activity, start_date=D(2026, 9, 1), end_date=D(2027, 7, 4))
    days = {}
    day = D(2026, 11, 23)
    while day <= D(2026, 12, 11):
        if day.weekday() < 5:
            days[day] = OccurrenceFactory(activity=activity, date=day)
        day += datetime.timedelta(days=1)
    before = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)

    def hold(child, date, state):
        ReservationFactory(occurrence=days[date], child=child, family=child.family, state=state, submitted_at=before)

    hold(paolo, D(2026, 11, 26), State.ACCEPTED)
    hold(others[0], D(2026, 11, 27), State.ACCEPTED)
    hold(paolo, D(2026, 11, 27), State.WAITING_LIST)
    hold(others[0], D(2026, 12, 1), State.ACCEPTED)
    hold(others[0], D(2026, 12, 2), State.ACCEPTED)
    hold(others[1], D(2026, 12, 2), State.WAITING_LIST)
    hold(paolo, D(2026, 12, 3), State.ACCEPTED)
    hold(others[0], D(2026, 12, 4), State.ACCEPTED)
    hold(paolo, D(2026, 12, 4), State.WAITING_LIST)
    hold(others[0], D(2026, 12, 8), State.ACCEPTED)
    hold(paolo, D(2026, 12, 9), State.ACCEPTED)
    CartLine.objects.create(family=family, child=paolo, occurrence=days[D(2026, 12, 7)], action=CartLine.Action.BOOK)
    CartLine.objects.create(family=family, child=paolo, occurrence=days[D(2026, 12, 8)], action=CartLine.Action.BOOK)
    CartLine.objects.create(family=family, child=paolo, occurrence=days[D(2026, 12, 9)], action=CartLine.Action.CANCEL)
    return {"user": user, "paolo": paolo, "activity": activity}


ACTIVITY_MODE = {
    D(2026, 11, 25): "Non ouverte / hors délai",
    D(2026, 11, 26): "Réservée, hors délai d'annulation",
    D(2026, 11, 27): "Liste d'attente, hors délai d'annulation",
    D(2026, 11, 30): "Ouverte",
    D(2026, 12, 1): "Complète, liste d'attente possible",
    D(2026, 12, 2): "Complète",
    D(2026, 12, 3): "Réservée, annulable",
    D(2026, 12, 4): "Liste d'attente, annulable",
    D(2026, 12, 7): "À réserver",
    D(2026, 12, 8): "À réserver (liste d'attente)",
    D(2026, 12, 9): "À annuler",
}
DAY_MODE = {
    D(2026, 11, 25): "Rien d'ouvert",
    D(2026, 11, 26): "Réservé, hors délai",
    D(2026, 11, 27): "Réservé dont liste d'attente, hors délai",
    D(2026, 11, 30): "Ouvert",
    D(2026, 12, 1): "Ouvert, liste d'attente possible",
    D(2026, 12, 2): "Tout est complet",
    D(2026, 12, 3): "Réservé, modifiable",
    D(2026, 12, 4): "Réservé, modifiable, liste d'attente",
}


def state_text(page, day):
    return page.locator(f"#jour-{day:%Y-%m-%d} .pf-state-text").inner_text().strip()


def test_every_calendar_state_is_written_and_passes_axe_on_desktop_and_phone(page, login_as, every_state):
    from .conftest import DESKTOP, PHONE

    login_as(page.context, every_state["user"])
    base = f"/reservations/?child={every_state['paolo'].pk}"
    for mode, expected in ((every_state["activity"].pk, ACTIVITY_MODE), ("toutes", DAY_MODE)):
        for month in ("2026-11", "2026-12"):
            page.set_viewport_size(DESKTOP)
            page.goto(f"{base}&activity={mode}&month={month}")
            expect(page.locator(".pf-calendar")).to_be_visible()
            for day, text in expected.items():
                if f"{day:%Y-%m}" == month:
                    assert state_text(page, day) == text, (mode, day)
            audit_page(page, label=f"calendrier {mode} {month}", phone=False)
            # The phone layout (a list of days) is another rendering: axe it too, and no sideways scroll.
            page.set_viewport_size(PHONE)
            audit_page(page, label=f"calendrier {mode} {month} (téléphone)")
    # The day page of a day holding several states of the list.
    page.set_viewport_size(DESKTOP)
    page.goto(f"/reservations/jour/2026-12-08/?child={every_state['paolo'].pk}")
    expect(page.locator(".pf-slot")).to_contain_text("À réserver (liste d'attente)")
    audit_page(page, label="jour")
    page.set_viewport_size(PHONE)
    audit_page(page, label="jour (téléphone)")


def test_pages_met_when_something_is_wrong_are_accessible(page, login_as, every_state, travel_to):
    login_as(page.context, every_state["user"])
    checks = [
        ("/facturation/historiques/consommations/?mois=2015-01", "n'est pas consultable"),
        ("/facturation/historiques/reglements/?mois=n-importe-quoi", "n'est pas reconnu"),
        ("/facturation/solde/?jusqu_au=31/02/2027", "Saisissez une date valide"),
        ("/reservations/?month=2031-01", "trop loin"),
        ("/reservations/suivi/?du=2027-01-10&au=2026-12-01", "doit être après"),
    ]
    for url, text in checks:
        response = page.goto(url)
        assert 400 <= response.status < 500, (url, response.status)
        expect(page.locator("main")).to_contain_text(text)
        audit_page(page, label=url)

    # A family without children, and a login attached to no family.
    family_without_child = FamilyFactory(structure=every_state["activity"].structure,
                                         users=[UserFactory(username="sans.enfant")])
    login_as(page.context, family_without_child.users.get())
    page.goto("/reservations/")
    expect(page.get_by_text("Aucun enfant n'est enregistré pour votre famille")).to_be_visible()
    audit_page(page, label="pas d'enfant")
    login_as(page.context, UserFactory(username="sans.famille"))
    response = page.goto("/facturation/solde/")
    assert response.status == 403
    audit_page(page, label="pas de famille")


def test_follow_up_table_scrolls_by_keyboard_on_a_phone_when_nothing_is_cancellable(phone_page, login_as, every_state):
    """Days too late to cancel have no button: the sideways-scrolling table itself must take the focus."""
    login_as(phone_page.context, every_state["user"])
    phone_page.goto("/reservations/suivi/?du=2026-11-01&au=2026-11-27&type=tous")
    rows = phone_page.locator("table.followup-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.get_by_role("button")).to_have_count(0)
    audit_page(phone_page, label="suivi sans annulation possible (téléphone)")


def test_the_same_pages_in_english_pass_axe_and_the_html_validator(page, login_as, every_state, live_server):
    """The English catalogue changes every string: the pages must stay valid and accessible."""
    from django.conf import settings

    from .conftest import PHONE

    login_as(page.context, every_state["user"])
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])
    paolo = every_state["paolo"].pk
    urls = [
        "/",
        f"/reservations/?child={paolo}&activity={every_state['activity'].pk}&month=2026-12",
        f"/reservations/?child={paolo}&activity=toutes&month=2026-12",
        f"/reservations/?child={paolo}&activity=toutes&month=2026-11",
        f"/reservations/jour/2026-12-08/?child={paolo}",
        "/reservations/panier/",
        f"/reservations/semaine-type/?child={paolo}",
        "/reservations/suivi/?du=2026-11-01&au=2026-12-31&type=tous",
        "/facturation/historiques/consommations/",
        "/facturation/historiques/reglements/",
        "/facturation/solde/",
        "/compte/profil/",
        "/reservations/agenda/",
    ]
    for url in urls:
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        audit_page(page, label=f"{url} (en)")
    page.get_by_role("button", name="Create my calendar address").click()
    expect(page.locator("#adresse-agenda")).to_have_value(re.compile(r"/reservations/agenda/.+\.ics$"))
    audit_page(page, label="calendar feed (en)")
    page.set_viewport_size(PHONE)
    page.goto(urls[1])
    audit_page(page, label="calendar (en, phone)")


def test_the_structures_identity_and_legal_pages_pass_axe_and_the_validator(page, live_server):
    """The login page wearing a structure's logo, colour and contacts, and the three legal pages,
    in French then English, before login."""
    import io

    from django.conf import settings
    from PIL import Image

    from portal.identity import logo_png
    from portal.models import LegalPage

    out = io.BytesIO()
    Image.new("RGB", (240, 80), (11, 110, 79)).save(out, format="PNG")
    structure = StructureFactory(name="Mairie de CarteVille", slug="carteville", primary_colour="#0b6e4f",
                                 address="1 place de la Mairie\n00000 CarteVille", contact_phone="04 00 00 00 00",
                                 contact_email="accueil@carteville.fr", logo=logo_png(out.getvalue()))
    LegalPage.objects.create(structure=structure, kind=LegalPage.Kind.ACCESSIBILITY, body="Audit du 3 mars.",
                             compliance=LegalPage.Compliance.PARTIAL)
    for language in ("fr", "en"):
        page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
        page.goto("/compte/connexion/?structure=carteville")
        expect(page.locator(".pf-login-identity img")).to_be_visible()
        expect(page.locator(".pf-login-identity")).to_contain_text("1 place de la Mairie")
        audit_page(page, label=f"connexion de la structure ({language})")
        for url in ("/mentions-legales/", "/donnees-personnelles/", "/accessibilite/"):
            page.goto(url)
            expect(page.locator("h1")).to_contain_text("Mairie de CarteVille")
            audit_page(page, label=f"{url} ({language})")
