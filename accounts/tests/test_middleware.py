from django.urls import reverse

from accounts.middleware import SESSION_STRUCTURE_KEY
from accounts.tests.factories import FamilyFactory, StructureFactory


def test_a_foreign_structure_put_in_the_session_falls_back_to_an_own_family(parent_client, family):
    foreign = FamilyFactory(structure=StructureFactory(name="Mairie Voisine"))
    session = parent_client.session
    session[SESSION_STRUCTURE_KEY] = foreign.structure_id
    session.save()
    response = parent_client.get(reverse("portal:home"))
    assert response.wsgi_request.family == family
    assert response.wsgi_request.structure == family.structure
    assert "Mairie Voisine" not in response.content.decode()


def test_anonymous_requests_have_no_family(client, db):
    response = client.get(reverse("accounts:login"))
    assert response.wsgi_request.family is None and response.wsgi_request.families == []
