"""`seed_demo` (the demo settings of the portal): idempotent, and its logins work."""
import hashlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from accounts.demo import DEMO_PARENT_PASSWORD, DEMO_STAFF_PASSWORD

pytestmark = pytest.mark.django_db


def _snapshot():
    """Row count and a digest of every row's values, for every model of the project."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        rows = model._default_manager.order_by("pk").values_list()
        digest = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
        state[model._meta.label] = (model._default_manager.count(), digest)
    return state


@pytest.fixture
def seeded(db):
    call_command("seed_demo", stdout=StringIO())


def test_seed_demo_twice_changes_nothing(seeded):
    before = _snapshot()
    assert before["accounts.Family"][0] >= 3
    call_command("seed_demo", stdout=StringIO())
    after = _snapshot()
    changed = {label: (before[label], after[label]) for label in before if before[label] != after[label]}
    assert changed == {}


def test_demo_parent_logs_in_and_sees_the_name(client, seeded):
    response = client.post(reverse("accounts:login"), {"username": "guide", "password": DEMO_PARENT_PASSWORD}, follow=True)
    assert response.status_code == 200
    assert "GUIDE Denis" in response.content.decode()   # "NOM Prénom", as in the user guide


def test_demo_agent_opens_the_families_of_their_structure_only(client, seeded):
    assert client.login(username="agent.carteville", password=DEMO_STAFF_PASSWORD)
    page = client.get(reverse("admin:accounts_family_changelist")).content.decode()
    assert "GUIDE DENIS" in page
    assert "C-0789" not in page  # the DUPONT family of Les Cambianes
