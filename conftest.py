"""Fixtures shared by every app's tests."""
import pytest
from django.core.cache import cache

from accounts.tests.factories import TEST_PASSWORD, ChildFactory, FamilyFactory, UserFactory


@pytest.fixture
def parent(db):
    """A login attached to one family with one child."""
    user = UserFactory(first_name="Denis", last_name="GUIDE")
    family = FamilyFactory(payer_name="GUIDE DENIS", users=[user])
    ChildFactory(family=family, first_name="Emmy", last_name="GUIDE")
    return user


@pytest.fixture
def parent_client(client, parent):
    assert client.login(username=parent.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def family(parent):
    return parent.families.get()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters (failed logins per IP…) live in the cache: each test starts with none."""
    cache.clear()


@pytest.fixture(autouse=True)
def _place_counters_stay_true(request):
    """After every test that used the database, each day's place counters equal a recount
    from its reservations (reservations.counters): whatever the test wrote, through any
    path, the trigger kept them."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(request.fixturenames))
    if not uses_db:
        yield
        return
    request.getfixturevalue("_django_db_helper")
    yield
    from reservations.counters import counters_recount

    assert counters_recount() == [], "place counters differ from the reservations"
