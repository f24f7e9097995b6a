"""The language a parent last chose is kept on their families: the nightly report is
written in it (issue 10 item 6)."""
import pytest
from django.urls import reverse

from accounts.tests.factories import TEST_PASSWORD, FamilyFactory

pytestmark = pytest.mark.django_db


def test_choosing_a_language_in_the_footer_is_kept_on_every_family_of_the_login(parent_client, parent, family):
    other = FamilyFactory(users=[parent])     # the same login in another structure
    assert family.language == ""              # nothing chosen yet: the reports are in French

    response = parent_client.post(reverse("set_language"), {"language": "en", "next": reverse("portal:home")})

    assert response.status_code == 302 and response.cookies["django_language"].value == "en"
    family.refresh_from_db()
    other.refresh_from_db()
    assert (family.language, other.language) == ("en", "en")
    parent_client.post(reverse("set_language"), {"language": "fr", "next": reverse("portal:home")})
    family.refresh_from_db()
    assert family.language == "fr"


def test_an_unknown_language_changes_nothing(parent_client, family):
    parent_client.post(reverse("set_language"), {"language": "de", "next": reverse("portal:home")})
    family.refresh_from_db()
    assert family.language == ""


def test_logging_in_keeps_the_language_the_site_is_shown_in(client, parent, family):
    client.cookies["django_language"] = "en"
    response = client.post(reverse("accounts:login"), {"username": parent.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    family.refresh_from_db()
    assert family.language == "en"


def test_an_anonymous_visitor_switching_language_touches_no_family(client, family):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    family.refresh_from_db()
    assert family.language == ""
