"""Who may see, create and change which login in the admin (accounts/admin_logins.py)."""
import pytest
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.models import StaffMembership, User
from accounts.services import staff_user_enrol
from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory, UserFactory

NEW_PASSWORD = "Un-autre-mot-de-passe-77"


@pytest.fixture
def towns(db):
    return (StructureFactory(name="Mairie de CarteVille", slug="carteville"),
            StructureFactory(name="Les Cambianes", slug="cambianes"))


def _staff(structures, username="agent"):
    agent = UserFactory(username=username, is_staff=True)
    for structure in structures:
        StaffMembership.objects.create(user=agent, structure=structure)
    staff_user_enrol(user=agent)
    return agent


@pytest.fixture
def agent_client(client, towns):
    client.force_login(_staff([towns[0]]))
    return client


def _family_post(family, users):
    return {"structure": family.structure_id, "number": family.number, "civility": "", "payer_name": family.payer_name,
            "quotient": "", "email": family.email, "phone": "", "address": "", "users": [u.pk for u in users],
            "children-TOTAL_FORMS": "0", "children-INITIAL_FORMS": "0"}


def test_staff_cannot_attach_another_structure_login_to_their_family_and_take_it_over(agent_client, towns):
    """The issue's attack: users=<a login of a family elsewhere> on one's own family, then its password."""
    mine = FamilyFactory(structure=towns[0])
    victim = UserFactory(username="victime")
    FamilyFactory(structure=towns[1], users=[victim])
    url = reverse("admin:accounts_family_change", args=[mine.pk])

    response = agent_client.post(url, _family_post(mine, [victim]))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["users"][0].startswith("Sélectionnez un choix valide")
    assert not mine.users.exists()
    assert agent_client.get(reverse("admin:auth_user_password_change", args=[victim.pk])).status_code == 404
    agent_client.post(reverse("admin:auth_user_password_change", args=[victim.pk]),
                      {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    victim.refresh_from_db()
    assert not victim.check_password(NEW_PASSWORD)

    own_parent = UserFactory(username="parent.maison")
    FamilyFactory(structure=towns[0], users=[own_parent])
    assert agent_client.post(url, _family_post(mine, [own_parent])).status_code == 302  # control
    assert list(mine.users.all()) == [own_parent]


@pytest.fixture
def shared_login(towns):
    """M. DUPONT has a family in each structure."""
    dupont = UserFactory(username="dupont", email="jp.dupont@example.org")
    FamilyFactory(structure=towns[0], users=[dupont], email="famille.carteville@example.org")
    FamilyFactory(structure=towns[1], users=[dupont], email="famille.cambianes@example.org")
    return dupont


def test_a_login_shared_with_another_structure_keeps_its_password_and_email_from_staff(agent_client, shared_login):
    url = reverse("admin:auth_user_password_change", args=[shared_login.pk])
    page = agent_client.get(url)
    assert page.status_code == 403
    assert "sert aussi dans une autre structure" in page.content.decode()
    assert agent_client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 403
    shared_login.refresh_from_db()
    assert not shared_login.check_password(NEW_PASSWORD)

    change = reverse("admin:accounts_user_change", args=[shared_login.pk])
    form = agent_client.get(change).context["adminform"].form
    assert "email" not in form.fields and "username" not in form.fields and "is_active" not in form.fields
    assert "first_name" in form.fields  # the names stay editable
    agent_client.post(change, {"first_name": "Jean-Paul", "last_name": "DUPONT", "email": "pirate@example.org",
                               "username": "pirate", "is_active": ""})
    shared_login.refresh_from_db()
    assert (shared_login.username, shared_login.email, shared_login.is_active) == ("dupont", "jp.dupont@example.org", True)


def test_superuser_and_staff_of_both_structures_may_change_a_shared_login_password(client, towns, shared_login):
    url = reverse("admin:auth_user_password_change", args=[shared_login.pk])
    client.force_login(_staff(towns, username="agent.des.deux"))
    assert client.get(url).status_code == 200
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 302
    shared_login.refresh_from_db()
    assert shared_login.check_password(NEW_PASSWORD)


def test_a_shared_login_is_reset_only_at_its_own_address_not_at_a_family_one(shared_login):
    assert not services.password_reset_link_send(user=shared_login, email="famille.carteville@example.org")
    assert services.password_reset_link_send(user=shared_login, email="jp.dupont@example.org")
    assert [m.to for m in mail.outbox] == [["jp.dupont@example.org"]]


def test_staff_create_a_login_without_password_attach_it_then_choose_its_password(agent_client, towns):
    response = agent_client.post(reverse("admin:accounts_user_add"), {"username": "leroy", "first_name": "Anne",
                                                                        "last_name": "LEROY"})
    login = User.objects.get(username="leroy")
    assert response.status_code == 302 and response.url == reverse("admin:accounts_user_change", args=[login.pk])
    assert not login.has_usable_password()
    password_url = reverse("admin:auth_user_password_change", args=[login.pk])
    refused = agent_client.get(password_url)
    assert refused.status_code == 403 and "rattachez-le d'abord" in refused.context["reason"]
    assert "email" not in agent_client.get(response.url).context["adminform"].form.fields

    family = FamilyFactory(structure=towns[0])
    autocomplete = agent_client.get(reverse("admin:autocomplete"), {
        "app_label": "accounts", "model_name": "family", "field_name": "users", "term": "leroy"}).json()
    assert [r["id"] for r in autocomplete["results"]] == [str(login.pk)]
    assert agent_client.post(reverse("admin:accounts_family_change", args=[family.pk]),
                             _family_post(family, [login])).status_code == 302
    assert agent_client.post(password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 302
    login.refresh_from_db()
    assert login.check_password(NEW_PASSWORD)


@pytest.mark.parametrize("way_in", ["password", "email", "security_answer"])
def test_a_login_attached_to_nothing_but_with_a_way_in_is_nobody_s_to_pick(agent_client, towns, way_in):
    """Else staff could prepare it (password, address for the reset link) and wait for
    another structure to attach it to one of its families."""
    login = UserFactory(username="detache", email="x@example.org" if way_in == "email" else "")
    if way_in != "password":
        login.set_unusable_password()
    if way_in == "security_answer":
        login.set_security_answer("Médor")
    login.save()
    assert "detache" not in agent_client.get(reverse("admin:accounts_user_changelist")).content.decode()
    family = FamilyFactory(structure=towns[0])
    ChildFactory(family=family)
    response = agent_client.post(reverse("admin:accounts_family_change", args=[family.pk]), _family_post(family, [login]))
    assert response.status_code == 200 and not family.users.exists()
