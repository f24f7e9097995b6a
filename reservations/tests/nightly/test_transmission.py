"""The nightly transmission on PostgreSQL: every path of DESIGN §4 step 4, locks, reruns."""
import datetime
import io
import time

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory
from reservations.context_processors import last_update
from reservations.locking import ADVISORY_LOCK_CLASS
from reservations.models import Reservation, ReservationEvent, TransmissionRun
from reservations.nightly.run import TransmissionBusy, transmission_run
from reservations.nightly.tasks import nightly_transmission
from reservations.tests.factories import ActivityFactory, TransmissionRunFactory
from reservations.tests.transmission_helpers import cancel_request, future_day, request, settled

State = Reservation.State
pytestmark = pytest.mark.django_db


@pytest.fixture
def structure():
    return StructureFactory(name="Mairie de CarteVille", slug="carteville")


def children(structure, count):
    return [ChildFactory(family=FamilyFactory(structure=structure)) for _ in range(count)]


def states(*reservations):
    return [Reservation.objects.get(pk=r.pk).state for r in reservations]


def run(structure, **kwargs):
    return transmission_run(structure=structure, now=timezone.now(), **kwargs)


def test_requests_fill_places_then_waiting_list_then_refused_in_submission_order(structure):
    activity = ActivityFactory(structure=structure, limited_places=True)
    day = future_day(activity, places=2, waiting_places=1)
    kids = children(structure, 4)
    # Submitted out of creation order: the third child asked first.
    late, second, first, last = (request(child=kid, occurrence=day, order=order)
                                 for kid, order in zip(kids, (3, 2, 1, 4), strict=True))

    result = run(structure)

    assert states(first, second, late, last) == [State.ACCEPTED, State.ACCEPTED, State.WAITING_LIST, State.REFUSED]
    assert result.status == TransmissionRun.Status.FINISHED and result.finished_at is not None
    assert {k: result.counts[k] for k in ("occurrences", "accepted", "waiting_list", "refused")} == {
        "occurrences": 1, "accepted": 2, "waiting_list": 1, "refused": 1}
    events = ReservationEvent.objects.filter(run=result).order_by("reservation__submitted_at")
    assert [(e.reservation_id, e.from_state, e.to_state) for e in events] == [
        (first.pk, State.NOT_TRANSMITTED, State.ACCEPTED), (second.pk, State.NOT_TRANSMITTED, State.ACCEPTED),
        (late.pk, State.NOT_TRANSMITTED, State.WAITING_LIST), (last.pk, State.NOT_TRANSMITTED, State.REFUSED)]


def test_cancellations_come_first_and_free_their_place(structure):
    activity = ActivityFactory(structure=structure, limited_places=True)
    day = future_day(activity, places=1, waiting_places=0)
    leaving, arriving = children(structure, 2)
    booked = cancel_request(settled(child=leaving, occurrence=day))
    newcomer = request(child=arriving, occurrence=day, order=1)

    result = run(structure)

    assert states(booked, newcomer) == [State.CANCELLED, State.ACCEPTED]
    assert result.counts["cancelled"] == 1 and result.counts["accepted"] == 1
    assert ReservationEvent.objects.get(run=result, reservation=booked).kind == "cancellation_applied"


def test_waiting_listed_cancellation_and_unlimited_activity(structure):
    unlimited = ActivityFactory(structure=structure, limited_places=False)
    full = ActivityFactory(structure=structure, limited_places=True)
    open_day = future_day(unlimited, places=0)
    full_day = future_day(full, places=0, waiting_places=3)
    kids = children(structure, 5)
    many = [request(child=kid, occurrence=open_day, order=i) for i, kid in enumerate(kids)]
    waiting = cancel_request(settled(child=kids[0], occurrence=full_day, state=State.WAITING_LIST))

    run(structure)

    assert states(*many) == [State.ACCEPTED] * 5
    assert states(waiting) == [State.CANCELLED]


def test_activities_needing_staff_decision_wait_for_an_answer(structure):
    activity = ActivityFactory(structure=structure, limited_places=True, needs_staff_decision=True)
    day = future_day(activity, places=1, waiting_places=0)
    asked = [request(child=kid, occurrence=day, order=i) for i, kid in enumerate(children(structure, 2))]

    result = run(structure)

    assert states(*asked) == [State.AWAITING_DECISION] * 2
    assert result.counts["awaiting_decision"] == 2


def test_closed_day_refuses_its_requests(structure):
    day = future_day(ActivityFactory(structure=structure), is_closed=True)
    asked = request(child=children(structure, 1)[0], occurrence=day)

    run(structure)

    assert states(asked) == [State.REFUSED]
    assert ReservationEvent.objects.get(reservation=asked, run__isnull=False).note == "Journée fermée"


def test_places_freed_by_staff_promote_the_waiting_list_first_come_first_served(structure):
    activity = ActivityFactory(structure=structure, limited_places=True)
    day = future_day(activity, places=1, waiting_places=3)
    kids = children(structure, 4)
    settled(child=kids[0], occurrence=day)
    second = settled(child=kids[1], occurrence=day, state=State.WAITING_LIST, order=2)
    first = settled(child=kids[2], occurrence=day, state=State.WAITING_LIST, order=1)
    third = settled(child=kids[3], occurrence=day, state=State.WAITING_LIST, order=3)
    assert run(structure).counts["promoted"] == 0  # full: nothing to do

    day.places = 3  # staff raise the capacity during the day
    day.save()
    result = run(structure)

    assert states(first, second, third) == [State.ACCEPTED, State.ACCEPTED, State.WAITING_LIST]
    assert result.counts["promoted"] == 2
    assert set(ReservationEvent.objects.filter(run=result).values_list("kind", flat=True)) == {"promoted"}


def test_earlier_waiting_list_goes_before_a_later_waiting_marked_request(structure):
    activity = ActivityFactory(structure=structure, limited_places=True)
    day = future_day(activity, places=2, waiting_places=2)
    kids = children(structure, 3)
    booked = cancel_request(settled(child=kids[0], occurrence=day))
    settled(child=kids[1], occurrence=day)
    queued = settled(child=kids[2], occurrence=day, state=State.WAITING_LIST, order=5)
    marked = request(child=ChildFactory(family=kids[0].family), occurrence=day, order=10, mark=True)

    run(structure)

    assert states(booked, queued, marked) == [State.CANCELLED, State.ACCEPTED, State.WAITING_LIST]


def test_past_days_waiting_lists_are_left_alone(structure):
    activity = ActivityFactory(structure=structure, limited_places=True)
    past = future_day(activity, date=timezone.localdate() - datetime.timedelta(days=2), places=5,
                             waiting_places=2)
    waiting = settled(child=children(structure, 1)[0], occurrence=past, state=State.WAITING_LIST)

    assert run(structure).counts["occurrences"] == 0
    assert states(waiting) == [State.WAITING_LIST]


def test_second_run_the_same_night_changes_nothing(structure):
    activity = ActivityFactory(structure=structure, limited_places=True)
    day = future_day(activity, places=1, waiting_places=1)
    for i, kid in enumerate(children(structure, 3)):
        request(child=kid, occurrence=day, order=i)
    run(structure)
    snapshot = list(Reservation.objects.order_by("pk").values_list("pk", "state"))
    events = ReservationEvent.objects.count()

    again = run(structure)

    assert list(Reservation.objects.order_by("pk").values_list("pk", "state")) == snapshot
    assert ReservationEvent.objects.count() == events
    assert again.counts["occurrences"] == 0 and again.status == TransmissionRun.Status.FINISHED


def test_dry_run_counts_and_writes_nothing(structure):
    day = future_day(ActivityFactory(structure=structure))
    asked = request(child=children(structure, 1)[0], occurrence=day)

    result = run(structure, dry_run=True)

    assert result.counts["accepted"] == 1 and result.pk is None
    assert states(asked) == [State.NOT_TRANSMITTED]
    assert not TransmissionRun.objects.exists()


def test_a_run_in_progress_elsewhere_blocks_a_second_one(structure):
    settings_dict = connection.settings_dict
    other = psycopg2.connect(dbname=settings_dict["NAME"], user=settings_dict["USER"], host=settings_dict["HOST"],
                             port=settings_dict["PORT"] or 5432, password=settings_dict["PASSWORD"])
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [ADVISORY_LOCK_CLASS, structure.pk])
        with pytest.raises(TransmissionBusy):
            run(structure)
    finally:
        other.close()
    # Released with the dead session (the server notices the closed connection a moment later).
    deadline = time.monotonic() + 5
    while True:
        try:
            result = run(structure)
            break
        except TransmissionBusy:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert result.status == TransmissionRun.Status.FINISHED


def test_a_run_left_running_by_a_dead_process_is_marked_failed(structure):
    dead = TransmissionRunFactory(structure=structure)

    run(structure)

    dead.refresh_from_db()
    assert dead.status == TransmissionRun.Status.FAILED


def test_other_structures_are_not_touched(structure):
    elsewhere = StructureFactory()
    mine = request(child=children(structure, 1)[0], occurrence=future_day(ActivityFactory(structure=structure)))
    theirs = request(child=children(elsewhere, 1)[0], occurrence=future_day(ActivityFactory(structure=elsewhere)))

    run(structure)

    assert states(mine, theirs) == [State.ACCEPTED, State.NOT_TRANSMITTED]


def test_header_shows_the_last_finished_run_of_the_current_structure(structure):
    http = RequestFactory().get("/")
    http.structure = structure
    assert last_update(http) == {"last_update": None}
    finished = run(structure)
    TransmissionRunFactory(structure=structure)  # a later run still going: not shown
    TransmissionRunFactory(structure=StructureFactory(), status=TransmissionRun.Status.FINISHED,
                           finished_at=timezone.now() + datetime.timedelta(hours=1))
    assert last_update(http) == {"last_update": finished.finished_at}


def test_the_header_date_is_read_once_then_kept_until_a_run_finishes(structure, django_assert_num_queries):
    http = RequestFactory().get("/")
    http.structure = structure
    last_update(http)
    with django_assert_num_queries(0):   # every later page takes it from the cache
        assert last_update(http) == {"last_update": None}
    TransmissionRunFactory(structure=structure)   # a run starting changes nothing to show
    with django_assert_num_queries(0):
        assert last_update(http) == {"last_update": None}
    finished = run(structure)
    assert last_update(http) == {"last_update": finished.finished_at}


def test_transmit_command_prints_progress_and_a_summary(structure):
    day = future_day(ActivityFactory(structure=structure))
    asked = request(child=children(structure, 1)[0], occurrence=day)
    out = io.StringIO()

    call_command("transmit", structure="carteville", stdout=out)

    text = out.getvalue()
    assert "Mairie de CarteVille (carteville)" in text
    assert "… 1 journées traitées" in text
    assert "Terminé : 1 journées traitées, 0 annulations appliquées, 1 acceptées" in text
    assert states(asked) == [State.ACCEPTED]


def test_nightly_task_runs_every_structure(structure):
    other = StructureFactory()
    for place in (structure, other):
        request(child=children(place, 1)[0], occurrence=future_day(ActivityFactory(structure=place)))

    assert sorted(nightly_transmission.delay().get()) == sorted([structure.pk, other.pk])

    assert not Reservation.objects.filter(state=State.NOT_TRANSMITTED).exists()
    assert TransmissionRun.objects.filter(status=TransmissionRun.Status.FINISHED).count() == 2


def test_transmit_dry_run_prints_the_counts_and_changes_nothing(structure):
    asked = request(child=children(structure, 1)[0], occurrence=future_day(ActivityFactory(structure=structure)))
    out = io.StringIO()

    call_command("transmit", "--dry-run", stdout=out)

    assert "Mairie de CarteVille (carteville) — essai à blanc" in out.getvalue()
    assert "1 acceptées" in out.getvalue() and "1 e-mails mis en file" in out.getvalue()
    assert states(asked) == [State.NOT_TRANSMITTED]
    assert not TransmissionRun.objects.exists()


def test_unknown_structure_is_a_clear_error():
    with pytest.raises(CommandError, match="Structure inconnue : nulle-part"):
        call_command("transmit", structure="nulle-part")


def test_a_request_awaiting_a_staff_decision_keeps_its_place_from_the_waiting_list(structure):
    activity = ActivityFactory(structure=structure, limited_places=True)
    day = future_day(activity, places=1, waiting_places=1)
    first, second, third = children(structure, 3)
    awaiting = settled(child=first, occurrence=day, state=State.AWAITING_DECISION)
    waiting = settled(child=second, occurrence=day, state=State.WAITING_LIST)
    newcomer = request(child=third, occurrence=day, order=1)  # a movement: the day is visited

    run(structure)

    # Promoting the waiting list into the place staff may still grant would overbook the day.
    assert states(awaiting, waiting, newcomer) == [State.AWAITING_DECISION, State.WAITING_LIST, State.REFUSED]


def test_every_event_the_night_writes_is_a_kind_of_the_model(structure):
    """One vocabulary: the night's events are ReservationEvent.Kind values, shown with their label."""
    activity = ActivityFactory(structure=structure, limited_places=True)
    day = future_day(activity, places=1, waiting_places=1)
    kids = children(structure, 5)
    leaving = cancel_request(settled(child=kids[0], occurrence=day, state=State.WAITING_LIST))
    held = cancel_request(settled(child=kids[1], occurrence=day))
    first, second, third = (request(child=kid, occurrence=day, order=order) for order, kid in enumerate(kids[2:]))
    waiting = settled(child=ChildFactory(family=FamilyFactory(structure=structure)), occurrence=future_day(
        activity, places=1, waiting_places=1), state=State.WAITING_LIST)

    result = run(structure)

    Kind = ReservationEvent.Kind
    kinds = {event.reservation_id: event.kind for event in ReservationEvent.objects.filter(run=result)}
    assert kinds == {leaving.pk: Kind.CANCELLATION_APPLIED, held.pk: Kind.CANCELLATION_APPLIED, first.pk: Kind.ACCEPTED,
                     second.pk: Kind.WAITING_LIST, third.pk: Kind.REFUSED, waiting.pk: Kind.PROMOTED}
    promoted = ReservationEvent.objects.get(run=result, reservation=waiting)
    assert promoted.get_kind_display() == "Place attribuée depuis la liste d'attente"
