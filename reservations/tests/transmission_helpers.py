"""Builders shared by the transmission, attendance and report tests."""
import datetime
import itertools
import time

from django.db import connection
from django.utils import timezone

from accounts.tests.factories import ChildFactory, FamilyFactory
from reservations.locking import ADVISORY_LOCK_CLASS
from reservations.models import Reservation, ReservationEvent
from reservations.rules.closures import public_holidays
from reservations.tests.factories import ActivityFactory, OccurrenceFactory, ReservationFactory

State = Reservation.State
BASE = timezone.now() - datetime.timedelta(hours=6)


def request(*, child, occurrence, order: int = 0, mark: bool = False, **extra) -> Reservation:
    """A request as the cart leaves it: not transmitted, with its "requested" event."""
    reservation = ReservationFactory.create(
        family=child.family, child=child, occurrence=occurrence, state=State.NOT_TRANSMITTED, waiting_mark=mark,
        submitted_at=BASE + datetime.timedelta(seconds=order), **extra,
    )
    ReservationEvent.objects.create(reservation=reservation, kind="requested", from_state="",
                                    to_state=State.NOT_TRANSMITTED)
    return reservation


def settled(*, child, occurrence, state=State.ACCEPTED, order: int = 0, **extra) -> Reservation:
    """A reservation answered on an earlier night (its events already reported)."""
    return ReservationFactory.create(family=child.family, child=child, occurrence=occurrence, state=state,
                              submitted_at=BASE - datetime.timedelta(days=3) + datetime.timedelta(seconds=order), **extra)


def cancel_request(reservation: Reservation) -> Reservation:
    reservation.cancel_requested_at = timezone.now()
    reservation.save(update_fields=["cancel_requested_at"])
    ReservationEvent.objects.create(reservation=reservation, kind="cancel_requested", from_state=reservation.state,
                                    to_state=reservation.state)
    return reservation


def days(activity, count: int, *, start=None, **kwargs):
    start = start or timezone.localdate() + datetime.timedelta(days=10)
    return [OccurrenceFactory(activity=activity, date=start + datetime.timedelta(days=i), **kwargs) for i in range(count)]


_next_day = itertools.count(10)


def future_day(activity, **kwargs):
    """An occurrence after today (the factory's default dates lie in the past), never on a
    public holiday: the days handed out grow through the whole session, and one falling on
    Easter Monday is closed to the cart."""
    if "date" not in kwargs:
        date = timezone.localdate() + datetime.timedelta(days=next(_next_day))
        while date in public_holidays(date.year):
            date = timezone.localdate() + datetime.timedelta(days=next(_next_day))
        kwargs["date"] = date
    return OccurrenceFactory(activity=activity, **kwargs)


def booking(structure, *, day, activity=None, attendance="", state=State.ACCEPTED, **extra) -> Reservation:
    """An accepted booking of a new family's child on that day (for attendance and posting)."""
    activity = activity or ActivityFactory(structure=structure, name="Restauration Scolaire")
    occurrence = future_day(activity, date=day)
    child = ChildFactory(family=FamilyFactory(structure=structure), first_name="Emmy")
    return settled(child=child, occurrence=occurrence, state=state, attendance=attendance, **extra)


def night_lock_gone(structure_id: int, timeout: float = 10) -> None:
    """Wait until PostgreSQL has dropped the night lock of a session that closed or whose
    process died: the server ends the backend a moment after the client is gone, so a rerun
    started at once may still find the night "déjà en cours"."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s"
                           " AND objsubid = 2", [ADVISORY_LOCK_CLASS, structure_id])
            if cursor.fetchone()[0] == 0:
                return
            assert time.monotonic() < deadline, "the closed session still holds the night lock"
            time.sleep(0.05)
