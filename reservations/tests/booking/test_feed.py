"""The family's calendar feed (issue 11): a private, revocable address; the iCalendar it serves is
parsed back with the icalendar package."""
import datetime

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from accounts.tests.factories import TEST_PASSWORD
from reservations.booking.feed import calendar_feed_create
from reservations.models import CalendarFeed, Reservation
from reservations.tests.booking_world import NOW, make_world
from reservations.tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db
D = datetime.date
State = Reservation.State


@pytest.fixture
def world():
    with time_machine.travel(NOW, tick=False):
        world = make_world(places=5, waiting=2, children=2)
        world.structure.address = "1 place de la Mairie\n00000 CarteVille"
        world.structure.save()
        yield world


def test_the_feed_holds_each_childs_accepted_and_waiting_listed_days(client, world):
    emmy, paolo = world.children
    ReservationFactory(occurrence=world.occurrences[D(2026, 12, 1)], child=emmy, family=world.family, state=State.ACCEPTED)
    ReservationFactory(occurrence=world.occurrences[D(2026, 12, 2)], child=paolo, family=world.family,
                       state=State.WAITING_LIST)
    ReservationFactory(occurrence=world.occurrences[D(2026, 12, 3)], child=emmy, family=world.family,
                       state=State.NOT_TRANSMITTED)                       # not answered yet: not in the feed
    ReservationFactory(occurrence=world.occurrences[D(2026, 12, 4)], child=emmy, family=world.family,
                       state=State.REFUSED)
    ReservationFactory(occurrence=world.occurrences[D(2026, 12, 1)], state=State.ACCEPTED)   # another family
    feed = calendar_feed_create(family=world.family)
    response = client.get(reverse("reservations:feed_ics", args=[feed.token]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")

    calendar = Calendar.from_ical(response.content)
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    assert [str(e["summary"]) for e in events] == ["Emmy — Restauration Scolaire",
                                                   "Paolo — Restauration Scolaire (En liste d'attente)"]
    first = events[0]
    start, end = first.decoded("dtstart"), first.decoded("dtend")
    assert (start.date(), start.hour, start.minute, end.hour, end.minute) == (D(2026, 12, 1), 12, 0, 13, 20)
    assert start.utcoffset() == datetime.timedelta(hours=1)          # Paris in winter
    assert str(first["status"]) == "CONFIRMED" and str(events[1]["status"]) == "TENTATIVE"
    assert "1 place de la Mairie 00000 CarteVille" in str(first["location"])
    assert "Acceptée" in str(first["description"])
    assert len({str(e["uid"]) for e in events}) == 2
    assert world.structure.name in str(calendar["x-wr-calname"])


def test_a_revoked_address_is_a_404_and_a_new_one_works(client, world):
    assert client.login(username=world.user.username, password=TEST_PASSWORD)
    page = client.get(reverse("reservations:feed")).content.decode()
    assert "Créer l&#x27;adresse de mon agenda" in page or "Créer l'adresse de mon agenda" in page
    client.post(reverse("reservations:feed"), {"action": "create"})
    client.post(reverse("reservations:feed"), {"action": "create"})          # twice: still one live address
    old = CalendarFeed.objects.get(family=world.family, revoked_at=None)
    assert len(old.token) >= 40
    page = client.get(reverse("reservations:feed")).content.decode()
    assert reverse("reservations:feed_ics", args=[old.token]) in page and "webcal://" in page
    client.logout()
    assert client.get(reverse("reservations:feed_ics", args=[old.token])).status_code == 200   # no login needed
    assert client.login(username=world.user.username, password=TEST_PASSWORD)
    client.post(reverse("reservations:feed"), {"action": "revoke"})
    assert client.get(reverse("reservations:feed_ics", args=[old.token])).status_code == 404
    client.post(reverse("reservations:feed"), {"action": "create"})
    new = CalendarFeed.objects.get(family=world.family, revoked_at=None)
    assert new.token != old.token
    assert client.get(reverse("reservations:feed_ics", args=[new.token])).status_code == 200
    assert client.get(reverse("reservations:feed_ics", args=["n-importe-quoi"])).status_code == 404
