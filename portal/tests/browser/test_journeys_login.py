"""A parent logs in (after a typo), reads the structure's news, switches structure, logs out."""
import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import TEST_PASSWORD, ChildFactory, FamilyFactory, MessageFactory, StructureFactory, UserFactory

from .helpers import activate_with_keyboard, audit_page

pytestmark = pytest.mark.browser


@pytest.fixture
def dupont():
    """One login for the DUPONT family in two structures, each with its own news."""
    carteville = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    cambianes = StructureFactory(name="Association Les Cambianes", slug="cambianes")
    user = UserFactory(username="dupont", first_name="Jean-Paul", last_name="DUPONT")
    now = timezone.now()
    for structure in (carteville, cambianes):
        family = FamilyFactory(structure=structure, payer_name="DUPONT Jean-Paul", users=[user])
        ChildFactory(family=family, first_name="Amalia", last_name="DUPONT")
    MessageFactory(structure=carteville, title="Cantine fermée vendredi",
                   body="Le restaurant scolaire sera fermé vendredi pour travaux.",
                   publish_from=now - datetime.timedelta(hours=2))
    MessageFactory(structure=carteville, title="Message d'hier", publish_from=now - datetime.timedelta(days=1))
    MessageFactory(structure=carteville, title="Pas encore publié", publish_from=now + datetime.timedelta(days=3))
    MessageFactory(structure=cambianes, title="Inscriptions aux vacances d'hiver",
                   body="Les inscriptions ouvrent lundi.", publish_from=now - datetime.timedelta(hours=1))
    return user


def test_parent_logs_in_after_a_typo_reads_news_switches_structure_and_logs_out(page, dupont):
    page.goto("/")
    # Not logged in: the portal sends the parent to the login page.
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    audit_page(page, label="connexion")

    page.get_by_label("Identifiant").fill("dupont")
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("Identifiant ou mot de passe incorrect")).to_be_visible()
    audit_page(page, label="connexion (erreur)")

    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    # Home of the first structure (alphabetical): the Cambianes news, not CarteVille's.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Association Les Cambianes")
    expect(page.locator(".user-name")).to_have_text("DUPONT Jean-Paul")   # "NOM Prénom", as in the guide
    expect(page.get_by_role("heading", name="Inscriptions aux vacances d'hiver")).to_be_visible()
    expect(page.get_by_text("Les inscriptions ouvrent lundi.")).to_be_visible()
    expect(page.get_by_text("Cantine fermée vendredi")).to_have_count(0)
    audit_page(page, label="accueil")

    page.get_by_label("Structure consultée").select_option(label="Mairie de CarteVille")
    # Choosing in the list changes nothing by itself (WCAG 3.2.2): the button sends the choice.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Association Les Cambianes")
    page.get_by_role("button", name="Changer", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mairie de CarteVille")
    messages = page.locator("article.structure-message h3")
    # Newest first; a message published in the future is not shown yet.
    expect(messages).to_have_text(["Cantine fermée vendredi", "Message d'hier"])
    expect(page.get_by_text("Le restaurant scolaire sera fermé vendredi pour travaux.")).to_be_visible()
    expect(page.get_by_text("Inscriptions aux vacances d'hiver")).to_have_count(0)
    # The choice sticks while browsing.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mairie de CarteVille")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    # Logged out for real: the home page asks to log in again.
    page.goto("/")
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    expect(page.locator(".user-name")).to_have_count(0)


def test_logging_in_and_out_works_with_the_keyboard_alone(page, dupont):
    page.goto("/compte/connexion/")
    activate_with_keyboard(page, page.get_by_label("Identifiant"), key="Home")
    page.keyboard.type("dupont")
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bienvenue")
    # The skip link is the first stop and leads to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(page.url.split("#")[0] + "#contenu")
    activate_with_keyboard(page, page.get_by_role("button", name="Se déconnecter"))
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()


def test_phone_layout_of_login_and_home(phone_page, dupont, login_as):
    phone_page.goto("/compte/connexion/")
    audit_page(phone_page, label="connexion (téléphone)")
    login_as(phone_page.context, dupont)
    phone_page.goto("/")
    expect(phone_page.get_by_role("heading", level=1)).to_contain_text("Bienvenue")
    audit_page(phone_page, label="accueil (téléphone)")
    # The menu folds behind a button that opens it.
    toggler = phone_page.get_by_role("button", name="Ouvrir le menu")
    expect(toggler).to_be_visible()
    toggler.click()
    expect(phone_page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    audit_page(phone_page, label="accueil, menu ouvert (téléphone)")


def test_header_never_makes_the_page_scroll_sideways_from_phone_to_desktop(page, dupont, login_as):
    """Name, structure switcher, last-update date and logout button must fit at every width."""
    from django.utils import timezone

    from reservations.models import TransmissionRun

    for family in dupont.families.all():
        TransmissionRun.objects.create(structure=family.structure, status=TransmissionRun.Status.FINISHED,
                                       finished_at=timezone.now())
    login_as(page.context, dupont)
    page.goto("/")
    expect(page.get_by_text("Mise à jour le")).to_have_count(1)
    for width in (375, 768, 992, 1024, 1100, 1199, 1200, 1280, 1440):
        page.set_viewport_size({"width": width, "height": 800})
        sizes = page.evaluate("() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
        assert sizes[0] <= sizes[1], f"the home page scrolls sideways at {width}px: {sizes}"


def test_too_many_wrong_passwords_pause_the_login_with_a_clear_message(page, dupont):
    page.goto("/compte/connexion/")
    for attempt in range(5):
        page.get_by_label("Identifiant").fill("dupont")
        page.get_by_label("Mot de passe").fill(f"faux-{attempt}")
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    expect(page.get_by_text("Trop de tentatives. Par sécurité, réessayez dans")).to_be_visible()
    audit_page(page, label="connexion bloquée")
    # Even the right password waits for the pause.
    page.get_by_label("Identifiant").fill("dupont")
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("Trop de tentatives.")).to_be_visible()
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
