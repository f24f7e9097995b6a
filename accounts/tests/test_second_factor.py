"""The staff's second factor (TOTP): required when the structure says so, optional otherwise,
asked at every admin login once enrolled; codes computed here from the secret the page shows."""
import base64
import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django_otp.oath import totp

from accounts.services import staff_user_enrol
from accounts.tests.factories import TEST_PASSWORD, StaffMembershipFactory, StructureFactory, UserFactory

START = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)
PAGE = "/admin/deuxieme-facteur/"


def code(secret: str, at: datetime.datetime) -> str:
    with time_machine.travel(at, tick=False):
        return f"{totp(base64.b32decode(secret)):06d}"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def agent(structure, username="agent"):
    user = StaffMembershipFactory(structure=structure, user=UserFactory(username=username, is_staff=True)).user
    staff_user_enrol(user=user)
    return user


def admin_login(client, username, otp=""):
    return client.post("/admin/login/", {"username": username, "password": TEST_PASSWORD, "otp_token": otp,
                                         "next": "/admin/"})


def test_required_by_the_structure_enrol_then_asked_at_every_login(client, clock, db):
    strict = StructureFactory(name="Mairie stricte", slug="stricte", staff_second_factor_required=True)
    agent(strict)

    # The password alone opens a session that reaches no admin page but the enrolment.
    assert admin_login(client, "agent").status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(PAGE)
    assert client.get(reverse("admin:accounts_family_changelist")).status_code == 302
    page = client.get(PAGE).content.decode()
    assert "<svg" in page and "Votre structure demande un deuxième facteur" in page
    secret = re.search(r'class="otp-secret">([A-Z2-7=]+)<', page).group(1)

    wrong = client.post(PAGE, {"token": "000000", "next": "/admin/"})
    assert wrong.status_code == 400
    clock.shift(datetime.timedelta(seconds=2))  # django-otp slows down after a failure
    assert client.post(PAGE, {"token": code(secret, START), "next": "/admin/"}).status_code == 302
    assert client.get("/admin/").status_code == 200

    # The next login needs the code; a code already used is refused.
    client.logout()
    clock.shift(datetime.timedelta(seconds=60))
    missing = admin_login(client, "agent")
    assert missing.status_code == 200 and "Code de vérification manquant ou incorrect" in missing.content.decode()
    assert admin_login(client, "agent", otp=code(secret, START)).status_code == 200
    clock.shift(datetime.timedelta(seconds=2))
    now = START + datetime.timedelta(seconds=62)
    assert admin_login(client, "agent", otp=code(secret, now)).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_optional_elsewhere_and_once_enrolled_the_parents_login_does_not_skip_it(client, clock, db):
    relaxed = StructureFactory(name="Mairie souple", slug="souple")
    agent(relaxed)
    assert admin_login(client, "agent").status_code == 302
    assert client.get("/admin/").status_code == 200

    # Enrolled by choice: from then on the code is asked, even through the parents' login page.
    page = client.get(PAGE).content.decode()
    assert "Votre structure demande" not in page
    secret = re.search(r'class="otp-secret">([A-Z2-7=]+)<', page).group(1)
    assert client.post(PAGE, {"token": code(secret, START)}).status_code == 302
    client.logout()
    assert client.post(reverse("accounts:login"), {"username": "agent", "password": TEST_PASSWORD}).status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(PAGE)
    later = START + datetime.timedelta(seconds=90)
    clock.shift(datetime.timedelta(seconds=90))
    assert "Saisissez le code à 6 chiffres" in client.get(PAGE).content.decode()
    assert client.post(PAGE, {"token": code(secret, later)}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_codes_are_throttled(client, clock, db, settings):
    agent(StructureFactory(slug="stricte", staff_second_factor_required=True))
    admin_login(client, "agent")
    client.get(PAGE)
    statuses = [client.post(PAGE, {"token": f"{n:06d}"}).status_code for n in range(settings.THROTTLE_MAX_FAILURES)]
    assert statuses[-1] == 429


def test_only_superusers_change_the_structure_requirement(client, db):
    town = StructureFactory(slug="ville")
    client.force_login(agent(town))
    page = client.get(reverse("admin:portal_structure_change", args=[town.pk])).content.decode()
    assert 'name="staff_second_factor_required"' not in page
