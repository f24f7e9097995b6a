import datetime

from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import MessageFactory


def test_home_requires_login(client, db):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_home_lists_published_messages_of_the_current_structure_newest_first(parent_client, family):
    now = timezone.now()
    MessageFactory(structure=family.structure, title="Ancien", publish_from=now - datetime.timedelta(days=5))
    MessageFactory(structure=family.structure, title="Récent", publish_from=now - datetime.timedelta(hours=1))
    MessageFactory(structure=family.structure, title="Futur", publish_from=now + datetime.timedelta(days=1))
    MessageFactory(structure=family.structure, title="Expiré", publish_from=now - datetime.timedelta(days=9),
                   publish_until=now - datetime.timedelta(days=2))
    MessageFactory(title="Autre structure")

    content = parent_client.get(reverse("portal:home")).content.decode()

    assert content.index("Récent") < content.index("Ancien")
    for hidden in ("Futur", "Expiré", "Autre structure"):
        assert hidden not in content
