"""Login throttling, profile, e-mail confirmation and password recovery, through the pages."""
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD, FamilyFactory, StructureFactory, UserFactory

LOGIN = reverse("accounts:login")
PROFILE = reverse("accounts:profile")
RECOVER = reverse("accounts:recover")
ROUTES = reverse("accounts:recover_routes")
NEW_PASSWORD = "Citrouille-Verte-2031"


def _without_csrf(page):
    return re.sub(r"[A-Za-z0-9]{64}", "", page)


def _fail_login(client, username, times, ip="203.0.113.7"):
    for _ in range(times):
        response = client.post(LOGIN, {"username": username, "password": "mauvais"}, REMOTE_ADDR=ip)
    return response


# --- login throttling ---------------------------------------------------------

@override_settings(THROTTLE_MAX_FAILURES=5, THROTTLE_COOLDOWN_SECONDS=900)
def test_fifth_failed_login_locks_the_identifier_with_a_french_429(client, parent):
    assert _fail_login(client, parent.username, 4).status_code == 200
    response = _fail_login(client, parent.username, 1)
    assert response.status_code == 429
    assert "Trop de tentatives. Par sécurité, réessayez dans 15 minutes." in response.content.decode()
    # Even the right password is refused during the cool-down.
    right = client.post(LOGIN, {"username": parent.username, "password": TEST_PASSWORD}, REMOTE_ADDR="198.51.100.1")
    assert right.status_code == 429
    assert SESSION_KEY not in client.session


@override_settings(THROTTLE_MAX_FAILURES=5)
def test_unknown_identifier_is_locked_exactly_like_a_known_one(client, parent):
    known = _fail_login(client, parent.username, 5).content.decode()
    unknown = _fail_login(client, "personne-inconnue", 5, ip="198.51.100.2")
    assert unknown.status_code == 429
    assert _without_csrf(known) == _without_csrf(unknown.content.decode())


@override_settings(THROTTLE_MAX_FAILURES=5, THROTTLE_COOLDOWN_SECONDS=900)
def test_lock_ends_after_the_cooldown(client, parent):
    with time_machine.travel("2026-11-26 08:00 +0000", tick=False) as clock:
        _fail_login(client, parent.username, 5)
        clock.shift(901)
        response = client.post(LOGIN, {"username": parent.username, "password": TEST_PASSWORD})
    assert response.status_code == 302


@override_settings(THROTTLE_MAX_FAILURES=5)
def test_success_resets_the_identifier_counter(client, parent):
    _fail_login(client, parent.username, 4)
    assert client.post(LOGIN, {"username": parent.username, "password": TEST_PASSWORD}).status_code == 302
    client.logout()
    assert _fail_login(client, parent.username, 4).status_code == 200


@override_settings(THROTTLE_MAX_FAILURES=5, THROTTLE_IP_MAX_FAILURES=8)
def test_one_ip_trying_many_identifiers_is_locked(client, parent):
    for number in range(8):
        response = _fail_login(client, f"essai{number}", 1)
    assert response.status_code == 429
    right = {"username": parent.username, "password": TEST_PASSWORD}
    assert client.post(LOGIN, right, REMOTE_ADDR="203.0.113.7").status_code == 429
    other_ip = client.post(LOGIN, {"username": parent.username, "password": TEST_PASSWORD}, REMOTE_ADDR="198.51.100.3")
    assert other_ip.status_code == 302


@override_settings(THROTTLE_MAX_FAILURES=5, THROTTLE_IP_MAX_FAILURES=3, TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_the_forwarded_address_is_throttled(client, parent):
    for number in range(3):
        client.post(LOGIN, {"username": f"x{number}", "password": "x"}, REMOTE_ADDR="10.0.0.1",
                    HTTP_X_FORWARDED_FOR="203.0.113.50")
    good = {"username": parent.username, "password": TEST_PASSWORD}
    assert client.post(LOGIN, good, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.50").status_code == 429
    assert client.post(LOGIN, good, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.51").status_code == 302


# --- profile ------------------------------------------------------------------

def test_profile_needs_a_login(client, db):
    response = client.get(PROFILE)
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_profile_explains_why_the_email_matters(parent_client):
    page = parent_client.get(PROFILE).content.decode()
    assert "compte rendu de vos réservations" in page
    assert "liste d&#x27;attente" in page or "liste d'attente" in page


def test_profile_page_has_three_forms_with_csrf_and_unique_ids(parent_client):
    page = parent_client.get(PROFILE).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 3 + 1  # + the logout form
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert "autofocus" not in page


def test_password_change_keeps_the_session_and_the_new_password_works(parent_client, parent):
    response = parent_client.post(PROFILE, {
        "action": "password", "old_password": TEST_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    }, follow=True)
    assert "Votre mot de passe a été changé." in response.content.decode()
    assert NEW_PASSWORD not in response.content.decode()
    assert parent_client.get(PROFILE).status_code == 200  # still logged in
    parent.refresh_from_db()
    assert parent.check_password(NEW_PASSWORD)


def test_password_change_logs_out_the_other_sessions(parent_client, parent, client_factory):
    other_device = client_factory()
    assert other_device.login(username=parent.username, password=TEST_PASSWORD)
    parent_client.post(PROFILE, {
        "action": "password", "old_password": TEST_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })
    assert parent_client.get(PROFILE).status_code == 200
    assert other_device.get(PROFILE).status_code == 302


@pytest.fixture
def client_factory():
    from django.test import Client
    return Client


@pytest.mark.parametrize(("old", "new1", "new2", "message"), [
    ("faux-mot-de-passe", NEW_PASSWORD, NEW_PASSWORD, "ancien mot de passe est incorrect"),
    (TEST_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "deux mots de passe ne correspondent pas"),
    (TEST_PASSWORD, "court", "court", "trop court"),
    (TEST_PASSWORD, "1234567890123", "1234567890123", "entièrement numérique"),
])
def test_password_change_refused_with_a_french_reason(parent_client, parent, old, new1, new2, message):
    response = parent_client.post(PROFILE, {"action": "password", "old_password": old, "new_password1": new1,
                                            "new_password2": new2})
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    parent.refresh_from_db()
    assert parent.check_password(TEST_PASSWORD)


def _confirmation_link(message):
    return re.search(r"http://\S+/compte/email/(\S+)/", message.body)


def test_email_change_applies_only_after_the_link_and_updates_every_family(parent_client, parent, family):
    other_structure_family = FamilyFactory(structure=StructureFactory(), users=[parent], email="ancienne@example.org")
    untouched = FamilyFactory(email="voisin@example.org")
    response = parent_client.post(PROFILE, {"action": "email", "email": "nouvelle@example.org"}, follow=True)
    assert "Un lien de confirmation a été envoyé à nouvelle@example.org" in response.content.decode()
    parent.refresh_from_db()
    assert parent.email != "nouvelle@example.org"
    (message,) = mail.outbox
    assert message.to == ["nouvelle@example.org"]
    match = _confirmation_link(message)
    assert match.group(0).startswith(settings.SITE_URL + "/compte/email/")
    path = reverse("accounts:email_confirm", args=[match.group(1)])

    assert parent_client.get(path).status_code == 200  # a mail scanner's GET changes nothing
    parent.refresh_from_db()
    assert parent.email != "nouvelle@example.org"

    confirmed = parent_client.post(path)
    assert confirmed.status_code == 200
    parent.refresh_from_db()
    family.refresh_from_db()
    other_structure_family.refresh_from_db()
    untouched.refresh_from_db()
    assert parent.email == family.email == other_structure_family.email == "nouvelle@example.org"
    assert untouched.email == "voisin@example.org"


def test_email_confirmation_link_is_single_use(parent_client, parent):
    parent_client.post(PROFILE, {"action": "email", "email": "premiere@example.org"})
    parent_client.post(PROFILE, {"action": "email", "email": "seconde@example.org"})
    first, second = (reverse("accounts:email_confirm", args=[_confirmation_link(m).group(1)]) for m in mail.outbox)
    assert parent_client.post(second).status_code == 200
    replay = parent_client.post(second)
    older = parent_client.post(first)
    assert replay.status_code == older.status_code == 400
    assert "déjà été utilisé" in older.content.decode()
    parent.refresh_from_db()
    assert parent.email == "seconde@example.org"


@override_settings(EMAIL_CONFIRMATION_MAX_AGE=3600)
def test_email_confirmation_link_expires(parent_client, parent):
    with time_machine.travel("2026-11-26 08:00 +0000", tick=False) as clock:
        parent_client.post(PROFILE, {"action": "email", "email": "tard@example.org"})
        path = reverse("accounts:email_confirm", args=[_confirmation_link(mail.outbox[0]).group(1)])
        clock.shift(3601)
        response = parent_client.post(path)
    assert response.status_code == 400
    assert "Ce lien a expiré" in response.content.decode()


def test_tampered_email_link_is_refused(client, parent):
    response = client.post(reverse("accounts:email_confirm", args=["abc:def:ghi"]))
    assert response.status_code == 400
    assert "pas valide" in response.content.decode()


def test_same_email_again_is_refused(parent_client, parent):
    parent.email = "moi@example.org"
    parent.save()
    response = parent_client.post(PROFILE, {"action": "email", "email": "MOI@example.org"})
    assert response.status_code == 400
    assert not mail.outbox


def test_security_question_is_stored_hashed_and_compared_loosely(parent_client, parent):
    response = parent_client.post(PROFILE, {"action": "question", "question": "Ville de naissance ?",
                                            "answer": "  Sainte-Hélène "}, follow=True)
    assert "Votre question secrète a été enregistrée." in response.content.decode()
    parent.refresh_from_db()
    assert parent.security_question == "Ville de naissance ?"
    assert "Hélène" not in parent.security_answer_hash and "helene" not in parent.security_answer_hash
    assert parent.check_security_answer("SAINTE-HELENE")
    assert not parent.check_security_answer("Sainte Hélène")


def test_unknown_profile_action_is_a_polite_redirect(parent_client):
    response = parent_client.post(PROFILE, {"action": "rien"}, follow=True)
    assert response.status_code == 200
    assert "Formulaire inconnu" in response.content.decode()


# --- recovery -----------------------------------------------------------------

@pytest.fixture
def questioned(parent):
    parent.security_question = "Nom de mon chat ?"
    parent.set_security_answer("Félix")
    parent.email = ""
    parent.save()
    parent.families.update(email="")
    return parent


def _start(client, identifier, **extra):
    return client.post(RECOVER, {"identifier": identifier}, **extra)


def _set_new_password(client, path):
    page = client.get(path, follow=True)
    assert page.status_code == 200
    set_url = page.redirect_chain[-1][0] if page.redirect_chain else path
    return client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


def test_login_page_links_to_recovery(client, db):
    assert f'href="{RECOVER}"' in client.get(LOGIN).content.decode()


def test_right_security_answer_leads_to_a_single_use_new_password_page(client, questioned):
    assert _start(client, questioned.username).url == ROUTES
    page = client.get(ROUTES).content.decode()
    assert "Nom de mon chat ?" in page
    response = client.post(ROUTES, {"action": "answer", "answer": " felix "})
    assert response.status_code == 302
    reset_path = response.url
    done = _set_new_password(client, reset_path)
    assert done.status_code == 302 and done.url == LOGIN
    questioned.refresh_from_db()
    assert questioned.check_password(NEW_PASSWORD)
    assert SESSION_KEY not in client.session  # not logged in by the reset
    assert client.get(reset_path, follow=True).status_code == 400  # used once


def test_wrong_security_answers_are_throttled(client, questioned):
    _start(client, questioned.username)
    for _ in range(4):
        response = client.post(ROUTES, {"action": "answer", "answer": "Garfield"})
        assert response.status_code == 400
        assert "ne correspond pas" in response.content.decode()
    response = client.post(ROUTES, {"action": "answer", "answer": "Garfield"})
    assert response.status_code == 429
    assert "réessayez dans" in response.content.decode()
    assert client.post(ROUTES, {"action": "answer", "answer": "Félix"}).status_code == 429


@override_settings(THROTTLE_RECOVERY_MAX_REQUESTS=3)
def test_recovery_requests_are_throttled_per_ip(client, db):
    for number in range(3):
        assert _start(client, f"inconnu{number}").status_code == 302
    response = _start(client, "encore")
    assert response.status_code == 429
    assert "Trop de tentatives" in response.content.decode()
    assert _start(client, "encore", REMOTE_ADDR="198.51.100.9").status_code == 302


def test_email_route_mails_a_link_only_when_the_address_matches_and_says_the_same(client, parent):
    parent.email = "denis@example.org"
    parent.save()
    _start(client, parent.username)
    assert "Recevoir un lien par e-mail" in client.get(ROUTES).content.decode()
    wrong = client.post(ROUTES, {"action": "email", "email": "pirate@example.org"})
    assert not mail.outbox
    _start(client, parent.username)
    right = client.post(ROUTES, {"action": "email", "email": "Denis@Example.org"})
    assert wrong.status_code == right.status_code == 200
    wrong_text = wrong.content.decode().replace("pirate@example.org", "X")
    right_text = right.content.decode().replace("Denis@Example.org", "X")
    assert _without_csrf(wrong_text) == _without_csrf(right_text)

    (message,) = mail.outbox
    assert message.to == ["denis@example.org"]
    link = re.search(r"(http://\S+)/compte/retrouver/nouveau/(\S+)/", message.body)
    assert link.group(1) == settings.SITE_URL
    path = link.group(0)[len(link.group(1)):]
    assert _set_new_password(client, path).status_code == 302
    parent.refresh_from_db()
    assert parent.check_password(NEW_PASSWORD)


@override_settings(SITE_URL="https://portail.example.org")
def test_reset_link_is_absolute_on_site_url(client, parent):
    parent.email = "denis@example.org"
    parent.save()
    _start(client, parent.username)
    client.post(ROUTES, {"action": "email", "email": "denis@example.org"})
    assert "https://portail.example.org/compte/retrouver/nouveau/" in mail.outbox[0].body


@override_settings(PASSWORD_RESET_TIMEOUT=3600)
def test_reset_link_expires(client, questioned):
    with time_machine.travel("2026-11-26 08:00 +0000", tick=False) as clock:
        _start(client, questioned.username)
        reset_path = client.post(ROUTES, {"action": "answer", "answer": "félix"}).url
        clock.shift(3601)
        response = client.get(reset_path, follow=True)
    assert response.status_code == 400
    assert "plus valable" in response.content.decode()


def test_reset_link_of_one_user_does_not_open_another(client, questioned):
    other = UserFactory()
    _start(client, questioned.username)
    reset_path = client.post(ROUTES, {"action": "answer", "answer": "félix"}).url
    parts = reset_path.rstrip("/").split("/")
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode
    parts[-2] = urlsafe_base64_encode(force_bytes(other.pk))
    assert client.get("/".join(parts) + "/", follow=True).status_code == 400


def test_account_without_route_and_unknown_identifier_both_say_contact_the_structure(client, parent, family):
    parent.email = ""
    parent.save()
    parent.families.update(email="")
    _start(client, parent.username)
    known = client.get(ROUTES).content.decode()
    assert "Contactez votre structure" in known
    assert family.structure.name in known and family.structure.contact_email in known
    _start(client, "personne")
    unknown = client.get(ROUTES).content.decode()
    assert "Contactez votre structure" in unknown
    assert client.post(ROUTES, {"action": "answer", "answer": "x"}).status_code == 200  # no route to try


def test_family_email_is_a_recovery_route_too(client, parent, family):
    parent.email = ""
    parent.save()
    family.email = "famille.guide@example.org"
    family.save()
    _start(client, parent.username)
    client.post(ROUTES, {"action": "email", "email": "famille.guide@example.org"})
    assert mail.outbox[0].to == ["famille.guide@example.org"]


def test_routes_without_a_started_recovery_go_back_to_step_one(client, db):
    assert client.get(ROUTES).url == RECOVER


def test_no_page_or_email_ever_contains_a_password(client, questioned):
    questioned.email = "denis@example.org"
    questioned.save()
    bodies = []
    _start(client, questioned.username)
    bodies.append(client.get(ROUTES).content.decode())
    bodies.append(client.post(ROUTES, {"action": "email", "email": "denis@example.org"}).content.decode())
    _start(client, questioned.username)
    reset_path = client.post(ROUTES, {"action": "answer", "answer": "félix"}).url
    page = client.get(reset_path, follow=True)
    bodies.append(page.content.decode())
    done = client.post(page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)
    bodies.append(done.content.decode())
    login = client.post(LOGIN, {"username": questioned.username, "password": NEW_PASSWORD}, follow=True)
    bodies.append(login.content.decode())
    bodies += [message.body + message.subject for message in mail.outbox]
    assert len(mail.outbox) == 1
    questioned.refresh_from_db()
    for text in bodies:
        assert TEST_PASSWORD not in text
        assert NEW_PASSWORD not in text
        assert questioned.password not in text
    assert User.objects.get(pk=questioned.pk).check_password(NEW_PASSWORD)


# --- admin login ----------------------------------------------------------------

@override_settings(THROTTLE_MAX_FAILURES=5)
def test_admin_login_is_throttled_like_the_parents_login(client, db):
    agent = UserFactory(username="agent.x", is_staff=True)
    admin_login = reverse("admin:login")
    for _ in range(4):
        assert client.post(admin_login, {"username": "agent.x", "password": "faux"}).status_code == 200
    locked = client.post(admin_login, {"username": "agent.x", "password": "faux"})
    assert locked.status_code == 429
    assert "Trop de tentatives" in locked.content.decode()
    right = {"username": agent.username, "password": TEST_PASSWORD}
    assert client.post(admin_login, right, REMOTE_ADDR="198.51.100.4").status_code == 429
    assert client.get(admin_login).status_code == 200


def test_admin_login_success_resets_the_counter(client, db):
    agent = UserFactory(username="agent.y", is_staff=True)
    admin_login = reverse("admin:login")
    for _ in range(4):
        client.post(admin_login, {"username": "agent.y", "password": "faux"})
    assert client.post(admin_login, {"username": "agent.y", "password": TEST_PASSWORD}).status_code == 302
    client.logout()
    for _ in range(4):
        assert client.post(admin_login, {"username": "agent.y", "password": "faux"}).status_code == 200
    assert agent.pk
