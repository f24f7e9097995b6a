"""Invitations: e-mailed single-use links, printed letters with a one-time code, resending."""
import io
import re

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from accounts.invitations import invitation_send
from accounts.models import Invitation, User
from accounts.services import staff_user_enrol
from accounts.tests.factories import FamilyFactory, StaffMembershipFactory, StructureFactory, UserFactory
from notifications.models import OutboxEmail


def fresh_login(username):
    user = User(username=username)
    user.set_unusable_password()
    user.save()
    return user


@pytest.fixture
def town(db):
    return StructureFactory(name="Mairie de CarteVille", slug="carteville")


@pytest.fixture
def staff(client, town):
    membership = StaffMembershipFactory(structure=town, user=UserFactory(username="agent", is_staff=True))
    staff_user_enrol(user=membership.user)
    client.force_login(membership.user)
    return client


def link_in(message) -> str:
    found = re.search(r"http://\S+(/compte/activer/\S+/)", message.body)
    assert found is not None
    return found.group(1)


def test_attaching_a_new_login_to_a_family_in_the_admin_invites_it(staff, town, django_capture_on_commit_callbacks):
    family = FamilyFactory(structure=town, number="000123", payer_name="GUIDE DENIS", email="denis@example.org")
    login = fresh_login("guide")
    url = reverse("admin:accounts_family_change", args=[family.pk])
    data = {"structure": town.pk, "number": "000123", "civility": "", "payer_name": "GUIDE DENIS", "quotient": "",
            "email": "denis@example.org", "phone": "", "address": "", "users": [login.pk],
            "children-TOTAL_FORMS": "0", "children-INITIAL_FORMS": "0"}
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(url, data).status_code == 302
    assert [m.to for m in mail.outbox] == [["denis@example.org"]]
    assert "guide" in mail.outbox[0].body and "mot de passe" not in mail.outbox[0].subject
    # Saving the family again does not invite the same login twice.
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, data)
    assert len(mail.outbox) == 1


def test_a_resent_invitation_replaces_the_older_link(client, town, django_capture_on_commit_callbacks):
    family = FamilyFactory(structure=town, email="famille@example.org")
    login = fresh_login("parent.a")
    family.users.add(login)
    with django_capture_on_commit_callbacks(execute=True):
        invitation_send(user=login, family=family)
        invitation_send(user=login, family=family)
    old, new = (link_in(message) for message in mail.outbox)
    response = client.get(old)
    assert response.status_code == 400 and "remplacé" in response.content.decode()
    assert client.get(new).status_code == 200
    assert OutboxEmail.objects.filter(kind=OutboxEmail.Kind.INVITATION).count() == 2


def test_an_activated_login_is_never_invited(town):
    family = FamilyFactory(structure=town, users=[UserFactory(username="actif")])
    assert invitation_send(user=family.users.get(), family=family) is None
    assert not Invitation.objects.exists()


def test_letters_for_families_without_email_then_activation_with_the_code(staff, client, town):
    family = FamilyFactory(structure=town, number="000777", payer_name="SANS MAIL Famille", email="")
    login = fresh_login("sans.mail")
    family.users.add(login)
    activated = FamilyFactory(structure=town, users=[UserFactory(username="deja.actif")])
    # The logins list shows who has not activated yet; the action prints their letters.
    listing = staff.get(reverse("admin:accounts_user_changelist") + "?active=non").content.decode()
    assert "sans.mail" in listing and "deja.actif" not in listing
    response = staff.post(reverse("admin:accounts_user_changelist"), {
        "action": "print_activation_letters", "_selected_action": [login.pk, activated.users.get().pk]})
    assert response["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) == 1
    text = pages[0].extract_text()
    assert "sans.mail" in text and "SANS MAIL Famille" in text and "Mairie de CarteVille" in text
    found = re.search(r"Code d.activation : ?([A-Z2-9]{5}-[A-Z2-9]{5})", text)
    assert found is not None
    code = found.group(1)

    url = reverse("accounts:activate_code")
    wrong = client.post(url, {"identifier": "sans.mail", "code": "AAAAA-22222", "new_password1": "Un-secret-solide-77",
                              "new_password2": "Un-secret-solide-77"})
    assert wrong.status_code == 400 and "code d&#x27;activation incorrect" in wrong.content.decode()
    done = client.post(url, {"identifier": "sans.mail", "code": code.lower().replace("-", " "),
                             "new_password1": "Un-secret-solide-77", "new_password2": "Un-secret-solide-77"})
    assert done.status_code == 302
    assert User.objects.get(username="sans.mail").check_password("Un-secret-solide-77")
    # The code served once.
    again = client.post(url, {"identifier": "sans.mail", "code": code, "new_password1": "Autre-secret-88",
                              "new_password2": "Autre-secret-88"})
    assert again.status_code == 400


def test_the_code_page_is_throttled_like_the_login(client, town, settings):
    family = FamilyFactory(structure=town, email="")
    family.users.add(fresh_login("cible"))
    url = reverse("accounts:activate_code")
    statuses = [client.post(url, {"identifier": "cible", "code": f"AAAAA-{n:05d}", "new_password1": "x",
                                  "new_password2": "x"}).status_code for n in range(settings.THROTTLE_MAX_FAILURES + 1)]
    assert statuses[-1] == 429 and set(statuses[:-2]) == {400}
