"""The booking world most booking tests start from, and its parent logged in at NOW."""
import pytest
import time_machine

from accounts.tests.factories import TEST_PASSWORD
from reservations.tests.booking_world import NOW, make_world


@pytest.fixture
def world():
    return make_world(places=1, waiting=1, children=2)


@pytest.fixture
def client_in(client, world):
    with time_machine.travel(NOW, tick=False):
        assert client.login(username=world.user.username, password=TEST_PASSWORD)
        yield client
