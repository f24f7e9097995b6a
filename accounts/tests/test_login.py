from django.urls import reverse

from accounts.tests.factories import TEST_PASSWORD, FamilyFactory, StructureFactory, UserFactory


def test_login_with_identifier_and_password_shows_name_in_header(client, parent):
    response = client.post(reverse("accounts:login"), {"username": parent.username, "password": TEST_PASSWORD}, follow=True)
    assert response.status_code == 200
    assert "GUIDE Denis" in response.content.decode()   # "NOM Prénom", as in the user guide


def test_failed_login_message_is_the_same_for_unknown_identifier_and_wrong_password(client, parent):
    wrong_password = client.post(reverse("accounts:login"), {"username": parent.username, "password": "faux"})
    unknown_user = client.post(reverse("accounts:login"), {"username": "personne", "password": "faux"})
    first = wrong_password.context["form"].non_field_errors()
    second = unknown_user.context["form"].non_field_errors()
    assert first == second
    assert "Identifiant ou mot de passe incorrect" in first[0]


def test_logout_is_a_post_and_ends_the_session(parent_client):
    response = parent_client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert parent_client.get(reverse("portal:home")).status_code == 302


def test_switching_structure_changes_the_header_and_refuses_foreign_structures(client, db):
    user = UserFactory()
    first = FamilyFactory(structure=StructureFactory(name="Mairie de CarteVille", slug="carteville"), users=[user])
    second = FamilyFactory(structure=StructureFactory(name="Association Les Loupiots", slug="loupiots"), users=[user])
    foreign = StructureFactory(name="Mairie Étrangère", slug="etrangere")
    client.login(username=user.username, password=TEST_PASSWORD)

    page = client.get(reverse("portal:home")).content.decode()
    assert "Bienvenue sur le portail de Association Les Loupiots" in page  # sorted by name: Association first

    client.post(reverse("accounts:switch_structure"), {"structure": first.structure_id})
    assert "Bienvenue sur le portail de Mairie de CarteVille" in client.get(reverse("portal:home")).content.decode()

    response = client.post(reverse("accounts:switch_structure"), {"structure": foreign.pk}, follow=True)
    page = response.content.decode()
    assert "n&#x27;est pas accessible" in page or "n'est pas accessible" in page
    assert "Bienvenue sur le portail de Mairie de CarteVille" in page
    assert second.structure.name in page  # still offered in the switcher
