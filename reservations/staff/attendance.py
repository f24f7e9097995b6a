"""Attendance: staff mark who came to a day (an accepted booking counts as present unless
marked otherwise); the nightly posting (reservations.nightly.posting) charges accordingly.

A day may hold 400 children: the sheet is read in one query, grouped by school/class
(Child.group) in Python, and a recording writes only the marks that changed, in one UPDATE.
The printed list of the children expected (WeasyPrint) has allergies and notes left blank.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.printing import html_to_pdf
from portal.text import folded
from reservations.locking import occurrences_lock, rows_lock
from reservations.models import Occurrence, Reservation

State = Reservation.State
Attendance = Reservation.Attendance


def attendance_sheet(*, occurrence: Occurrence) -> list[Reservation]:
    """The accepted bookings of a day, with their child and family (one query)."""
    return list(Reservation.objects.filter(occurrence=occurrence, state=State.ACCEPTED)
                .select_related("child", "family").order_by("child__last_name", "child__first_name", "id")
                # 400 rows: only the columns the sheet and the printed list show.
                .only("attendance", "consumption_posted_at", "child__first_name", "child__last_name", "child__group",
                      "family__payer_name", "family__phone"))


@dataclass
class AttendanceRow:
    reservation: Reservation
    mark: str
    search: str  # the child's and the payer's names folded, matched by the page's search box

    @property
    def locked(self) -> bool:
        """Posted to a wallet: the mark can no longer change (the line is in the ledger)."""
        return self.reservation.consumption_posted_at is not None


@dataclass
class AttendanceGroup:
    name: str
    rows: list[AttendanceRow] = field(default_factory=list)

    @property
    def absent_count(self) -> int:
        return sum(row.mark != Attendance.PRESENT for row in self.rows)


def attendance_groups(*, occurrence: Occurrence) -> list[AttendanceGroup]:
    """The day's sheet cut by school/class (Child.group), children without a group last;
    groups and names in alphabetical order regardless of case and accents."""
    keyed = []
    for reservation in attendance_sheet(occurrence=occurrence):
        child = reservation.child
        order = (not child.group, folded(child.group), folded(f"{child.last_name} {child.first_name}"), reservation.pk)
        keyed.append((order, reservation))
    keyed.sort(key=lambda pair: pair[0])
    groups = []
    for _key, pairs in groupby(keyed, key=lambda pair: pair[0][1]):
        rows = [AttendanceRow(reservation=r, mark=r.attendance or Attendance.PRESENT,
                              search=folded(f"{r.child.first_name} {r.child.last_name} {r.family.payer_name}"))
                for _order, r in pairs]
        groups.append(AttendanceGroup(name=rows[0].reservation.child.group or _("Sans groupe"), rows=rows))
    return groups


class AttendanceError(Exception):
    """A marking that cannot be recorded; the message is French and shown as is."""


def attendance_record(*, occurrence: Occurrence, marks: dict[int, str]) -> int:
    """Record presence per accepted booking of the occurrence ({reservation id: attendance}).

    Bookings already posted to a wallet cannot change any more (the line is in the ledger).
    Locks the day then its bookings, re-checks, writes the changed marks in one UPDATE.
    Returns how many bookings changed.
    """
    valid = set(Attendance.values)
    if any(value not in valid for value in marks.values()):
        raise AttendanceError(_("Choisissez Présent, Absent ou Absence justifiée pour chaque enfant."))
    with transaction.atomic():
        occurrences_lock([occurrence.pk])
        rows = {r.pk: r for r in rows_lock(Reservation.objects.filter(
            occurrence=occurrence, state=State.ACCEPTED, pk__in=list(marks)).select_related("child"))}
        if len(rows) != len(marks):
            raise AttendanceError(_("La liste a changé entre-temps : rechargez la page."))
        changed = []
        for reservation_id, value in marks.items():
            reservation = rows[reservation_id]
            if (reservation.attendance or Attendance.PRESENT) == value:
                continue
            if reservation.consumption_posted_at is not None:
                raise AttendanceError(_("La présence de %(child)s est déjà passée en consommation : elle ne peut plus changer.")
                                      % {"child": reservation.child})
            reservation.attendance = value
            changed.append(reservation)
        Reservation.objects.bulk_update(changed, ["attendance"])
    return len(changed)


def attendance_pdf(*, occurrence: Occurrence, groups: list[AttendanceGroup]) -> bytes:
    """The list of the children expected, by group, to tick at the door (allergies, notes blank)."""
    html = render_to_string("reservations/pdf/attendance.html", {
        "structure": occurrence.activity.structure, "occurrence": occurrence, "groups": groups,
        "total": sum(len(group.rows) for group in groups), "generated_at": timezone.localtime(),
    })
    return html_to_pdf(html)
