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
