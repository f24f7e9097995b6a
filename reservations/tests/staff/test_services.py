import datetime

import pytest

from accounts.tests.factories import UserFactory
from reservations.models import Closure, Occurrence, Reservation, ReservationEvent
from reservations.staff.services import StaffActionError, occurrences_generate, reservation_decide
from reservations.tests.factories import ActivityFactory, ClosureFactory, OccurrenceFactory, ReservationFactory

pytestmark = pytest.mark.django_db
State = Reservation.State


@pytest.mark.parametrize("accept, expected", [(True, State.ACCEPTED), (False, State.REFUSED)])
def test_a_decision_changes_the_state_and_records_an_unreported_event_by_the_staff_user(accept, expected):
    staff = UserFactory(is_staff=True)
    reservation = ReservationFactory(state=State.AWAITING_DECISION)

    reservation_decide(reservation=reservation, accept=accept, user=staff)

    reservation.refresh_from_db()
    assert reservation.state == expected
    event = ReservationEvent.objects.get(reservation=reservation)
    assert (event.from_state, event.to_state, event.actor, event.run) == (State.AWAITING_DECISION, expected, staff, None)


@pytest.mark.parametrize("state", [State.NOT_TRANSMITTED, State.ACCEPTED, State.WAITING_LIST, State.REFUSED])
def test_only_requests_awaiting_a_decision_can_be_decided(state):
    reservation = ReservationFactory(state=state)
    with pytest.raises(StaffActionError, match="n'est plus en attente"):
        reservation_decide(reservation=reservation, accept=True, user=UserFactory(is_staff=True))
    reservation.refresh_from_db()
    assert reservation.state == state
    assert not ReservationEvent.objects.exists()


def test_deciding_twice_with_a_stale_object_records_one_decision():
    reservation = ReservationFactory(state=State.AWAITING_DECISION)
    stale = Reservation.objects.get(pk=reservation.pk)
    reservation_decide(reservation=reservation, accept=True, user=UserFactory(is_staff=True))
    with pytest.raises(StaffActionError):
        reservation_decide(reservation=stale, accept=False, user=UserFactory(is_staff=True))
    assert Reservation.objects.get(pk=reservation.pk).state == State.ACCEPTED
    assert ReservationEvent.objects.count() == 1


def test_generation_creates_the_chosen_weekdays_with_the_activity_defaults():
    activity = ActivityFactory(default_places=12, default_waiting_places=3, arrival_time=datetime.time(7, 30),
                               departure_time=datetime.time(12, 0), limited_places=True)
    # 2026-09-07 is a Monday; two weeks of Mondays and Wednesdays.
    created, skipped = occurrences_generate(activity=activity, start=datetime.date(2026, 9, 7),
                                            end=datetime.date(2026, 9, 20), weekdays=[0, 2])
    dates = sorted(Occurrence.objects.filter(activity=activity).values_list("date", flat=True))
    assert dates == [datetime.date(2026, 9, 7), datetime.date(2026, 9, 9), datetime.date(2026, 9, 14), datetime.date(2026, 9, 16)]
    assert len(created) == 4 and skipped == []
    occurrence = Occurrence.objects.filter(activity=activity).first()
    assert (occurrence.places, occurrence.waiting_places) == (12, 3)
    assert (occurrence.arrival_time, occurrence.departure_time) == (datetime.time(7, 30), datetime.time(12, 0))


def test_generation_skips_public_holidays_and_closures_and_says_why():
    activity = ActivityFactory()
    ClosureFactory(structure=activity.structure, kind=Closure.Kind.CLOSURE, label="Pont de l'Ascension",
                   start_date=datetime.date(2026, 5, 15), end_date=datetime.date(2026, 5, 15))
    # Thursday 14 May 2026 is Ascension Day; Friday 15 the structure's closure.
    created, skipped = occurrences_generate(activity=activity, start=datetime.date(2026, 5, 11),
                                            end=datetime.date(2026, 5, 15), weekdays=range(5))
    assert [o.date.day for o in created] == [11, 12, 13]
    reasons = dict(skipped)
    assert "Ascension" in reasons[datetime.date(2026, 5, 14)]
    assert reasons[datetime.date(2026, 5, 15)] == "Pont de l'Ascension"


def test_school_holidays_close_only_activities_marked_so():
    school = ActivityFactory(closed_during_school_holidays=True)
    holidays_activity = ActivityFactory(structure=school.structure, closed_during_school_holidays=False)
    ClosureFactory(structure=school.structure, kind=Closure.Kind.SCHOOL_HOLIDAYS, label="Vacances de la Toussaint",
                   start_date=datetime.date(2026, 10, 17), end_date=datetime.date(2026, 11, 1))
    args = {"start": datetime.date(2026, 10, 19), "end": datetime.date(2026, 10, 23), "weekdays": range(5)}

    created_school, skipped_school = occurrences_generate(activity=school, **args)
    created_holidays, skipped_holidays = occurrences_generate(activity=holidays_activity, **args)

    assert created_school == [] and len(skipped_school) == 5
    assert len(created_holidays) == 5 and skipped_holidays == []


def test_generation_is_idempotent_and_keeps_existing_days_untouched():
    activity = ActivityFactory(default_places=10)
    OccurrenceFactory(activity=activity, date=datetime.date(2026, 9, 8), places=2)
    args = {"activity": activity, "start": datetime.date(2026, 9, 7), "end": datetime.date(2026, 9, 11), "weekdays": range(5)}

    first, _ = occurrences_generate(**args)
    second, skipped = occurrences_generate(**args)

    assert len(first) == 4 and second == []
    assert len(skipped) == 5
    assert Occurrence.objects.filter(activity=activity).count() == 5
    assert Occurrence.objects.get(activity=activity, date=datetime.date(2026, 9, 8)).places == 2


@pytest.mark.parametrize("start, end, weekdays, message", [
    (datetime.date(2026, 9, 10), datetime.date(2026, 9, 1), [0], "avant la date de début"),
    (datetime.date(2026, 9, 1), datetime.date(2026, 9, 10), [], "au moins un jour"),
    (datetime.date(2026, 9, 1), datetime.date(2026, 9, 10), [7], "au moins un jour"),
    (datetime.date(2026, 1, 1), datetime.date(2028, 1, 1), [0], "ne peut pas dépasser"),
])
def test_generation_refuses_bad_periods_with_a_french_message(start, end, weekdays, message):
    activity = ActivityFactory()
    with pytest.raises(StaffActionError, match=message):
        occurrences_generate(activity=activity, start=start, end=end, weekdays=weekdays)
    assert not Occurrence.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_staff_deciding_the_same_request_at_once_record_a_single_decision():
    import threading

    from django.db import connection

    reservation = ReservationFactory(state=State.AWAITING_DECISION)
    staff = [UserFactory(is_staff=True), UserFactory(is_staff=True)]
    barrier = threading.Barrier(2)
    outcomes = []

    def decide(user, accept):
        try:
            barrier.wait(timeout=5)
            reservation_decide(reservation=Reservation.objects.get(pk=reservation.pk), accept=accept, user=user)
            outcomes.append("done")
        except StaffActionError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(staff[0], True)), threading.Thread(target=decide, args=(staff[1], False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(outcomes) == ["done", "refused"]
    assert ReservationEvent.objects.filter(reservation=reservation).count() == 1
    final = Reservation.objects.get(pk=reservation.pk).state
    assert final == ReservationEvent.objects.get(reservation=reservation).to_state
