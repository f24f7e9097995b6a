"""A parent fills in the profile, forgets the password, and gets back in by both routes."""
import re
from urllib.parse import urlparse

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.tests.factories import TEST_PASSWORD, ChildFactory, FamilyFactory, StructureFactory, UserFactory

from .helpers import audit_page

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Cantine-du-lundi-2027"


@pytest.fixture
def guide():
    structure = StructureFactory(name="Mairie de CarteVille", slug="carteville", contact_phone="05 56 00 00 00")
    user = UserFactory(username="guide", first_name="Denis", last_name="GUIDE", email="")
    family = FamilyFactory(structure=structure, number="000123", payer_name="GUIDE DENIS", email="", users=[user])
    ChildFactory(family=family, first_name="Emmy", last_name="GUIDE")
    return user


def log_in(page, username, password):
    page.goto("/compte/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def path_of_link_in(message) -> str:
    """The first portal link of an e-mail, as a path on the test server."""
    link = re.search(r"https?://\S+", message.body)
    assert link, message.body
    return urlparse(link.group(0)).path


def choose_new_password(page, password):
    expect(page.get_by_role("heading", name="Nouveau mot de passe")).to_be_visible()
    audit_page(page, label="nouveau mot de passe")
    page.get_by_label(re.compile(r"^\s*Nouveau mot de passe\W*$")).fill(password)
    page.get_by_label(re.compile(r"^\s*Nouveau mot de passe \(confirmation\)")).fill(password)
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    expect(page.get_by_text("Votre nouveau mot de passe est enregistré.")).to_be_visible()


def test_parent_sets_a_security_question_then_recovers_the_password_with_it(page, guide, login_as):
    # Without a question or an address, the site can only point to the structure.
    page.goto("/compte/connexion/")
    page.get_by_role("link", name="Le retrouver").click()
    page.get_by_label("Identifiant").fill("guide")
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Contactez votre structure")).to_be_visible()
    expect(page.locator("main").get_by_text("05 56 00 00 00")).to_be_visible()
    audit_page(page, label="retrouver : contacter la structure")

    # The parent, logged in, records a question in the profile.
    login_as(page.context, guide)
    page.goto("/")
    page.get_by_role("link", name="Profil").click()
    expect(page.get_by_role("heading", name="Votre profil")).to_be_visible()
    audit_page(page, label="profil")
    question_form = page.locator("#form-question")
    question_form.get_by_label("Question secrète").fill("Nom de mon premier chat ?")
    question_form.get_by_label("Réponse").fill("Minou")
    question_form.get_by_role("button", name="Enregistrer la question").click()
    expect(page.get_by_text("Votre question secrète a été enregistrée.")).to_be_visible()
    expect(page.get_by_text("Question actuelle : Nom de mon premier chat ?")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()

    # Forgotten password: « Le retrouver », the identifier, the question.
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    page.get_by_role("link", name="Le retrouver").click()
    expect(page.get_by_role("heading", name="Retrouver l'accès à votre compte")).to_be_visible()
    audit_page(page, label="retrouver : identifiant")
    page.get_by_label("Identifiant").fill("guide")
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_text("Nom de mon premier chat ?", exact=True)).to_be_visible()
    audit_page(page, label="retrouver : question ou e-mail")
    page.get_by_label("Votre réponse").fill("Felix")
    page.get_by_role("button", name="Valider la réponse").click()
    expect(page.get_by_text("Cette réponse ne correspond pas.")).to_be_visible()
    audit_page(page, label="retrouver : mauvaise réponse")
    page.get_by_label("Votre réponse").fill("minou")
    page.get_by_role("button", name="Valider la réponse").click()
    choose_new_password(page, NEW_PASSWORD)

    # The old password no longer works, the new one does.
    log_in(page, "guide", TEST_PASSWORD)
    expect(page.get_by_text("Identifiant ou mot de passe incorrect")).to_be_visible()
    log_in(page, "guide", NEW_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bienvenue")


def test_parent_confirms_an_email_address_then_recovers_the_password_by_a_link(page, guide, login_as):
    # The address is recorded only once the link sent to it is followed.
    login_as(page.context, guide)
    page.goto("/compte/profil/")
    expect(page.get_by_text("Aucune adresse e-mail n'est enregistrée.")).to_be_visible()
    email_form = page.locator("#form-email")
    email_form.get_by_label("Nouvelle adresse e-mail").fill("denis.guide@example.org")
    email_form.get_by_role("button", name="Envoyer le lien de confirmation").click()
    expect(page.get_by_text("Un lien de confirmation a été envoyé à denis.guide@example.org")).to_be_visible()
    confirmation = mail.outbox[-1]
    assert confirmation.to == ["denis.guide@example.org"]
    page.goto(path_of_link_in(confirmation))
    audit_page(page, label="confirmation de l'adresse")
    page.get_by_role("button", name="Confirmer mon adresse e-mail").click()
    expect(page.get_by_text("Votre adresse e-mail est maintenant denis.guide@example.org.")).to_be_visible()
    page.goto("/compte/profil/")
    expect(page.get_by_text("Adresse enregistrée : denis.guide@example.org")).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()

    # Forgotten password: the link arrives by e-mail.
    page.get_by_role("link", name="Le retrouver").click()
    page.get_by_label("Identifiant").fill("guide")
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Recevoir un lien par e-mail")).to_be_visible()
    sent_before = len(mail.outbox)
    page.get_by_label("Votre adresse e-mail").fill("denis.guide@example.org")
    page.get_by_role("button", name="Recevoir un lien").click()
    expect(page.get_by_role("heading", name="Vérifiez votre messagerie")).to_be_visible()
    audit_page(page, label="retrouver : lien envoyé")
    assert len(mail.outbox) == sent_before + 1
    message = mail.outbox[-1]
    assert message.to == ["denis.guide@example.org"]
    assert TEST_PASSWORD not in message.body
    reset_path = path_of_link_in(message)
    page.goto(reset_path)
    choose_new_password(page, NEW_PASSWORD)
    log_in(page, "guide", NEW_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bienvenue")

    # The link served once: a second visit is refused in plain French.
    page.goto(reset_path)
    expect(page.get_by_text("Ce lien n'est plus valable")).to_be_visible()
