"""Staff see and change in the admin only their structures' families, children and logins."""
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import StaffMembership, User
from accounts.services import STAFF_GROUP_NAME, staff_user_enrol
from accounts.tests.factories import ChildFactory, FamilyFactory, StaffMembershipFactory, StructureFactory, UserFactory


@pytest.fixture
def two_structures(db):
    town_a = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    town_b = StructureFactory(name="Association Les Cambianes", slug="cambianes")
    family_a = FamilyFactory(structure=town_a, payer_name="GUIDE DENIS", number="000123",
                             users=[UserFactory(username="guide")])
    family_b = FamilyFactory(structure=town_b, payer_name="MARTIN Zoé", number="C-0999",
                             users=[UserFactory(username="martin")])
    ChildFactory(family=family_a, first_name="Emmy")
    ChildFactory(family=family_b, first_name="Zacharie")
    return town_a, town_b, family_a, family_b


@pytest.fixture
def staff_a_client(client, two_structures):
    membership = StaffMembershipFactory(structure=two_structures[0], user=UserFactory(username="agent.a", is_staff=True))
    staff_user_enrol(user=membership.user)
    client.force_login(membership.user)
    return client


def test_staff_without_the_group_sees_nothing(client, two_structures):
    agent = UserFactory(username="agent.nu", is_staff=True)
    StaffMembershipFactory(structure=two_structures[0], user=agent)
    client.force_login(agent)
    assert client.get(reverse("admin:accounts_family_changelist")).status_code == 403


def test_staff_changelists_show_only_their_structure(staff_a_client):
    families = staff_a_client.get(reverse("admin:accounts_family_changelist")).content.decode()
    assert "GUIDE DENIS" in families and "MARTIN Zoé" not in families
    children = staff_a_client.get(reverse("admin:accounts_child_changelist")).content.decode()
    assert "Emmy" in children and "Zacharie" not in children
    users = staff_a_client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "guide" in users and "martin" not in users


def test_structure_filter_offers_only_the_staff_structures(staff_a_client):
    page = staff_a_client.get(reverse("admin:accounts_family_changelist")).content.decode()
    assert "Association Les Cambianes" not in page


def test_staff_cannot_open_or_change_a_family_of_another_structure(staff_a_client, two_structures):
    family_b = two_structures[3]
    url = reverse("admin:accounts_family_change", args=[family_b.pk])
    response = staff_a_client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert "MARTIN Zoé" not in response.content.decode()
    staff_a_client.post(url, {"payer_name": "PIRATE"})
    family_b.refresh_from_db()
    assert family_b.payer_name == "MARTIN Zoé"
    child_b = family_b.children.get()
    response = staff_a_client.get(reverse("admin:accounts_child_change", args=[child_b.pk]))
    assert response.status_code == 302


def test_staff_cannot_create_a_family_in_another_structure(staff_a_client, two_structures):
    town_b = two_structures[1]
    response = staff_a_client.post(reverse("admin:accounts_family_add"), {
        "structure": town_b.pk, "number": "X1", "payer_name": "INTRUS", "children-TOTAL_FORMS": "0",
        "children-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200  # the form refuses the structure
    assert not town_b.families.filter(number="X1").exists()


def test_staff_never_see_superusers_nor_get_the_rights_fields(staff_a_client, two_structures):
    admin_user = UserFactory(username="grand.chef", is_staff=True, is_superuser=True)
    StaffMembership.objects.create(user=admin_user, structure=two_structures[0])
    assert "grand.chef" not in staff_a_client.get(reverse("admin:accounts_user_changelist")).content.decode()
    guide = User.objects.get(username="guide")
    page = staff_a_client.get(reverse("admin:accounts_user_change", args=[guide.pk])).content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page and 'name="groups"' not in page
    assert 'name="security_question"' in page


def test_superuser_sees_every_structure(client, two_structures):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:accounts_family_changelist")).content.decode()
    assert "GUIDE DENIS" in page and "MARTIN Zoé" in page
    assert client.get(reverse("admin:accounts_family_change", args=[two_structures[3].pk])).status_code == 200


def test_adding_a_membership_gives_admin_access_with_the_staff_group(client, two_structures):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    newcomer = UserFactory(username="nouvel.agent")
    client.post(reverse("admin:accounts_staffmembership_add"), {"user": newcomer.pk, "structure": two_structures[0].pk})
    newcomer.refresh_from_db()
    assert newcomer.is_staff
    assert newcomer.groups.filter(name=STAFF_GROUP_NAME).exists()
    assert newcomer.has_perm("accounts.change_family") and not newcomer.has_perm("billing.delete_payment")


def test_family_change_page_shows_children_inline(staff_a_client, two_structures):
    page = staff_a_client.get(reverse("admin:accounts_family_change", args=[two_structures[2].pk])).content.decode()
    assert 'value="Emmy"' in page
    assert Group.objects.get(name=STAFF_GROUP_NAME)
