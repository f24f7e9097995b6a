"""The reminder before a booking deadline (issue 11, What to build 6): sent through the outbox
once per family, activity and period, even when beat runs twice; not when something is booked,
when the family opted out, or for an activity the child does not usually attend."""
import datetime

import pytest
import time_machine
from django.core import mail

from notifications.models import DeadlineReminder, OutboxEmail
from notifications.reminders import deadline_reminders, deadline_reminders_send
from reservations.models import CartLine, Reservation
from reservations.rules.deadlines import PARIS
from reservations.tests.booking_world import make_world
from reservations.tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db
D = datetime.date
State = Reservation.State
# Friday 27/11/2026 10:00: Monday 30's deadline ("la veille à 09:00") is Sunday 29 09:00, 47 h away.
FRIDAY = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=PARIS)


@pytest.fixture
def world():
    world = make_world(places=9, waiting=2, children=2)
    world.family.email = "famille@example.org"
    world.family.save()
    emmy = world.children[0]
    for day in (D(2026, 11, 23), D(2026, 11, 24)):        # Emmy eats at the canteen: her usual activity
        ReservationFactory(occurrence=world.occurrences[day], child=emmy, family=world.family, state=State.ACCEPTED)
    return world


def reminders(kind=OutboxEmail.Kind.DEADLINE_REMINDER):
    return OutboxEmail.objects.filter(kind=kind)


def test_one_reminder_for_next_week_even_when_beat_runs_twice(world, django_capture_on_commit_callbacks, settings):
    settings.DEADLINE_REMINDER_HOURS = 48
    with time_machine.travel(FRIDAY, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert deadline_reminders() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert deadline_reminders() == 0                 # the second beat run: nothing new
    assert reminders().count() == 1
    row = DeadlineReminder.objects.get()
    assert (row.activity, row.period_start) == (world.activity, D(2026, 11, 30)) and row.email == reminders().get()
    sent = [m for m in mail.outbox if m.to == ["famille@example.org"]]
    assert len(sent) == 1
    body = " ".join(sent[0].body.split())
    assert "Restauration Scolaire (Emmy), semaine du lundi 30 novembre" in body
    assert "dimanche 29" in body and "09:00" in body
    assert "/compte/profil/" in body                          # how to stop them
    assert "Paolo" not in body                                # not his usual activity


def test_not_yet_within_the_hours_then_due(world, settings):
    settings.DEADLINE_REMINDER_HOURS = 24
    with time_machine.travel(FRIDAY, tick=False):
        assert deadline_reminders_send(now=FRIDAY) == 0     # 47 h away
    later = FRIDAY + datetime.timedelta(hours=24)
    with time_machine.travel(later, tick=False):
        assert deadline_reminders_send(now=later) == 1      # 23 h away


def test_no_reminder_when_a_day_of_the_week_is_booked_or_in_the_cart(world, settings):
    settings.DEADLINE_REMINDER_HOURS = 48
    emmy = world.children[0]
    ReservationFactory(occurrence=world.occurrences[D(2026, 12, 2)], child=emmy, family=world.family,
                       state=State.NOT_TRANSMITTED)
    with time_machine.travel(FRIDAY, tick=False):
        assert deadline_reminders_send(now=FRIDAY) == 0
    Reservation.objects.filter(occurrence__date=D(2026, 12, 2)).delete()
    CartLine.objects.create(family=world.family, child=emmy, occurrence=world.occurrences[D(2026, 12, 1)],
                            action=CartLine.Action.BOOK)
    with time_machine.travel(FRIDAY, tick=False):
        assert deadline_reminders_send(now=FRIDAY) == 0
    assert not DeadlineReminder.objects.exists()


def test_a_family_that_opted_out_or_has_no_address_gets_none(world, settings):
    settings.DEADLINE_REMINDER_HOURS = 48
    world.family.deadline_reminders = False
    world.family.save()
    with time_machine.travel(FRIDAY, tick=False):
        assert deadline_reminders_send(now=FRIDAY) == 0
    world.family.deadline_reminders, world.family.email = True, ""
    world.family.save()
    with time_machine.travel(FRIDAY, tick=False):
        assert deadline_reminders_send(now=FRIDAY) == 0


def test_the_profile_switches_reminders_off_and_on(client, world):
    from django.urls import reverse

    from accounts.tests.factories import TEST_PASSWORD

    assert client.login(username=world.user.username, password=TEST_PASSWORD)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'name="deadline_reminders" id="id_deadline_reminders" checked' in page
    client.post(reverse("accounts:profile"), {"action": "reminders"})
    world.family.refresh_from_db()
    assert world.family.deadline_reminders is False
    client.post(reverse("accounts:profile"), {"action": "reminders", "deadline_reminders": "on"})
    world.family.refresh_from_db()
    assert world.family.deadline_reminders is True
