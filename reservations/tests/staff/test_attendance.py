"""Attendance sheets: present by default, changes recorded, fixed once posted."""
import datetime

import pytest

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory
from portal import dates
from reservations.models import Reservation
from reservations.nightly.posting import consumptions_post
from reservations.staff.attendance import AttendanceError, attendance_record, attendance_sheet
from reservations.tests.transmission_helpers import booking, settled

State = Reservation.State
Attendance = Reservation.Attendance
pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 26)
NOW = datetime.datetime(2026, 11, 26, 1, 30, tzinfo=dates.PARIS)


@pytest.fixture
def structure():
    return StructureFactory()


def test_attendance_sheet_defaults_to_present_and_records_changes(structure):
    first = booking(structure, day=TODAY)
    occurrence = first.occurrence
    second = settled(child=ChildFactory(family=FamilyFactory(structure=structure)), occurrence=occurrence)
    settled(child=ChildFactory(family=FamilyFactory(structure=structure)), occurrence=occurrence, state=State.REFUSED)

    assert {r.pk for r in attendance_sheet(occurrence=occurrence)} == {first.pk, second.pk}
    assert attendance_record(occurrence=occurrence, marks={first.pk: Attendance.PRESENT,
                                                           second.pk: Attendance.EXCUSED}) == 1
    assert Reservation.objects.get(pk=second.pk).attendance == Attendance.EXCUSED

    with pytest.raises(AttendanceError, match="Présent, Absent ou Absence justifiée"):
        attendance_record(occurrence=occurrence, marks={first.pk: "maybe"})


def test_attendance_cannot_change_once_posted(structure):
    posted = booking(structure, day=TODAY - datetime.timedelta(days=1))
    consumptions_post(structure=structure, today=TODAY, now=NOW)

    with pytest.raises(AttendanceError, match="déjà passée en consommation"):
        attendance_record(occurrence=posted.occurrence, marks={posted.pk: Attendance.EXCUSED})
    assert Reservation.objects.get(pk=posted.pk).attendance == ""
