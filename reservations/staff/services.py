"""Writes done by structure staff in the admin: decide on requests, generate the days.

Each function is one transaction that locks what it changes (occurrence, then
reservation; or the activity), re-checks, then writes. Every state change is a
ReservationEvent with the staff user as actor and no run: the family's next nightly
report tells it (an event of the day, made before that night began).
"""
from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from portal.dates import MAX_PERIOD_DAYS
from reservations.locking import occurrences_lock, rows_lock
from reservations.models import Activity, Occurrence, Reservation, ReservationEvent
from reservations.rules.closures import closed_days

State = Reservation.State
DECISION_NOTE = "Décision du personnel"


class StaffActionError(Exception):
    """A staff action that cannot be done; the message is French and shown as is."""


def reservation_decide(*, reservation: Reservation, accept: bool, user) -> Reservation:
    """Accept or refuse a request "En attente réponse"; records an event with the staff user.

    Locks the occurrence then the reservation (the nightly batch's order), and re-reads
    the state under the lock: a request decided meanwhile (by a colleague or the batch)
    raises StaffActionError and nothing is written.
    """
    with transaction.atomic():
        occurrences_lock([reservation.occurrence_id])
        locked = rows_lock(Reservation.objects.filter(pk=reservation.pk))[0]
        if locked.state != State.AWAITING_DECISION:
            raise StaffActionError(
                _("La demande de %(child)s du %(day)s n'est plus en attente de réponse (%(state)s).") % {
                    "child": locked.child, "day": locked.occurrence.date.strftime("%d/%m/%Y"),
                    "state": locked.get_state_display()}
            )
        new_state = State.ACCEPTED if accept else State.REFUSED
        locked.state = new_state
        locked.save(update_fields=["state"])
        ReservationEvent.objects.create(
            reservation=locked, kind=ReservationEvent.ANSWER_KINDS[new_state], from_state=State.AWAITING_DECISION,
            to_state=new_state,
            actor=user, note=DECISION_NOTE,
        )
    reservation.state = locked.state
    return locked


def occurrences_generate(
    *, activity: Activity, start: datetime.date, end: datetime.date, weekdays: Iterable[int],
) -> tuple[list[Occurrence], list[tuple[datetime.date, str]]]:
    """Create the missing days of an activity between two dates on the chosen weekdays.

    Uses the activity's default times and places. Skips (and says why) public holidays,
    the structure's closures, school holidays for activities closed during them, and days
    that already exist. Running it twice creates nothing the second time.
    Returns (created occurrences, [(date, reason) skipped]).
    """
    weekdays = {int(day) for day in weekdays}
    if not weekdays or not weekdays <= set(range(7)):
        raise StaffActionError(_("Choisissez au moins un jour de la semaine."))
    if end < start:
        raise StaffActionError(_("La date de fin est avant la date de début."))
    if (end - start).days > MAX_PERIOD_DAYS:
        raise StaffActionError(_("La période ne peut pas dépasser %(days)s jours.") % {"days": MAX_PERIOD_DAYS})

    with transaction.atomic():
        # One generation at a time per activity: the second waits, then sees the first's days.
        locked = rows_lock(Activity.objects.filter(pk=activity.pk))[0]
        closed = closed_days(structure_id=locked.structure_id, start=start, end=end).for_activity(locked)
        existing = set(Occurrence.objects.filter(activity=locked, date__gte=start, date__lte=end).values_list("date", flat=True))
        to_create, skipped = [], []
        day = start
        while day <= end:
            if day.weekday() in weekdays:
                if day in existing:
                    skipped.append((day, _("journée déjà créée")))
                elif day in closed:
                    skipped.append((day, closed[day]))
                else:
                    to_create.append(Occurrence(
                        activity=locked, date=day, arrival_time=locked.arrival_time, departure_time=locked.departure_time,
                        places=locked.default_places, waiting_places=locked.default_waiting_places,
                    ))
            day += datetime.timedelta(days=1)
        created = Occurrence.objects.bulk_create(to_create)
    return created, skipped
