"""Attendance: staff mark who came to a day (an accepted booking counts as present unless
marked otherwise); the nightly posting (reservations.nightly.posting) charges accordingly.
"""
from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from reservations.locking import occurrences_lock, rows_lock
from reservations.models import Occurrence, Reservation

State = Reservation.State
Attendance = Reservation.Attendance


def attendance_sheet(*, occurrence: Occurrence) -> list[Reservation]:
    """The accepted bookings of a day, children in alphabetical order."""
    return list(Reservation.objects.filter(occurrence=occurrence, state=State.ACCEPTED)
                .select_related("child", "family").order_by("child__last_name", "child__first_name", "id"))


class AttendanceError(Exception):
    """A marking that cannot be recorded; the message is French and shown as is."""


def attendance_record(*, occurrence: Occurrence, marks: dict[int, str]) -> int:
    """Record presence per accepted booking of the occurrence ({reservation id: attendance}).

    Bookings already posted to a wallet cannot change any more (the line is in the ledger).
    Returns how many bookings changed.
    """
    valid = set(Attendance.values)
    if any(value not in valid for value in marks.values()):
        raise AttendanceError(_("Choisissez Présent, Absent ou Absence justifiée pour chaque enfant."))
    changed = 0
    with transaction.atomic():
        occurrences_lock([occurrence.pk])
        rows = {r.pk: r for r in rows_lock(Reservation.objects.filter(
            occurrence=occurrence, state=State.ACCEPTED, pk__in=list(marks)))}
        if len(rows) != len(marks):
            raise AttendanceError(_("La liste a changé entre-temps : rechargez la page."))
        for reservation_id, value in marks.items():
            reservation = rows[reservation_id]
            current = reservation.attendance or Attendance.PRESENT
            if current == value:
                continue
            if reservation.consumption_posted_at is not None:
                raise AttendanceError(_("La présence de %(child)s est déjà passée en consommation : elle ne peut plus changer.")
                                      % {"child": reservation.child})
            reservation.attendance = value
            reservation.save(update_fields=["attendance"])
            changed += 1
    return changed
