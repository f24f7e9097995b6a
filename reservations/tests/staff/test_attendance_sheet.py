"""The attendance page for a day of 400 children: grouped by school/class, searchable, present by
default, a number of queries (to show it and to record it) that does not grow with the children,
and its printed list read back."""
import datetime
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from accounts.services import staff_user_enrol
from accounts.tests.factories import ChildFactory, FamilyFactory, StaffMembershipFactory, StructureFactory, UserFactory
from reservations.models import Reservation
from reservations.tests.factories import ActivityFactory, OccurrenceFactory, ReservationFactory

State = Reservation.State
Attendance = Reservation.Attendance
DAY = datetime.date(2026, 12, 2)
PRINTED_AT = datetime.datetime(2026, 12, 2, 7, 45, tzinfo=datetime.UTC)  # 8:45 in Paris
GROUPS = ["CP - École Jules Ferry", "CE1 - École Jules Ferry", "PS - Maternelle Pasteur"]


@pytest.fixture
def town(db):
    return StructureFactory(name="Mairie de CarteVille", slug="carteville")


def staff_of(structure, username):
    user = StaffMembershipFactory(structure=structure, user=UserFactory(username=username, is_staff=True)).user
    staff_user_enrol(user=user)
    return user


@pytest.fixture
def staff(client, town):
    client.force_login(staff_of(town, "agent"))
    return client


def day_with(town, count):
    occurrence = OccurrenceFactory(activity=ActivityFactory(structure=town, name="Restauration Scolaire"), date=DAY)
    for n in range(count):
        family = FamilyFactory(structure=town, payer_name=f"FAMILLE{n:03d} Jean", phone=f"06 11 22 33 {n % 100:02d}")
        child = ChildFactory(family=family, first_name="Élodie" if n == 7 else f"Enfant{n:03d}", last_name=f"NOM{n:03d}",
                             group=GROUPS[n % 3] if n % 10 else "")
        ReservationFactory(occurrence=occurrence, family=family, child=child, state=State.ACCEPTED)
    return occurrence


def sheet_url(occurrence, **extra):
    query = "&".join(f"{key}={value}" for key, value in {"activity": occurrence.activity_id, "day": DAY.isoformat(),
                                                          **extra}.items())
    return reverse("admin:reservations_attendance") + "?" + query


def queries_to_show(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def queries_to_record(client, occurrence, absent: int) -> int:
    """Post the whole sheet as the page does (every child present) with `absent` of them absent."""
    reservations = Reservation.objects.filter(occurrence=occurrence).order_by("pk")
    marks = {f"attendance-{r.pk}": Attendance.PRESENT for r in reservations}
    marks.update({f"attendance-{r.pk}": Attendance.ABSENT for r in reservations[:absent]})
    with CaptureQueriesContext(connection) as captured:
        assert client.post(sheet_url(occurrence), marks).status_code == 302
    assert Reservation.objects.filter(occurrence=occurrence, attendance=Attendance.ABSENT).count() == absent
    return len(captured)


def test_queries_do_not_grow_with_the_children(client, town):
    small = day_with(town, 10)
    big_town = StructureFactory(slug="grande")
    big = day_with(big_town, 400)
    client.force_login(staff_of(town, "agent"))
    shown_small, recorded_small = queries_to_show(client, sheet_url(small)), queries_to_record(client, small, 3)
    client.force_login(staff_of(big_town, "agent.grande"))
    shown_big, recorded_big = queries_to_show(client, sheet_url(big)), queries_to_record(client, big, 120)
    assert shown_big == shown_small
    assert recorded_big == recorded_small


def test_page_groups_by_class_all_present_then_only_absences_are_recorded(staff, town):
    occurrence = day_with(town, 40)
    page = staff.get(sheet_url(occurrence)).content.decode()
    assert page.index("CE1 - École Jules Ferry") < page.index("CP - École Jules Ferry") < page.index("Sans groupe")
    assert page.count('value="present" checked') == 40
    assert 'data-search="elodie nom007 famille007 jean"' in page
    assert "40 enfants attendus" in page
    absent = Reservation.objects.get(child__first_name="Élodie")
    marks = {f"attendance-{r.pk}": Attendance.PRESENT for r in Reservation.objects.filter(occurrence=occurrence)}
    marks[f"attendance-{absent.pk}"] = Attendance.ABSENT
    response = staff.post(sheet_url(occurrence), marks, follow=True)
    assert "Présences enregistrées (1 modification)" in response.content.decode()
    assert list(Reservation.objects.exclude(attendance="").values_list("pk", "attendance")) == [(absent.pk, "absent")]
    assert "<span data-absent-count>1</span>" in response.content.decode()


def test_printed_list_of_the_children_expected(client, town):
    occurrence = day_with(town, 60)
    with time_machine.travel(PRINTED_AT, tick=False):
        client.force_login(staff_of(town, "agent"))  # a staff session expires after a while idle
        response = client.get(sheet_url(occurrence, format="pdf"))
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 2
    for expected in ("Restauration Scolaire", "mercredi 02/12/2026", "Liste de présence", "60 enfants attendus",
                     "Allergies", "Remarques", "CP - École Jules Ferry (18)", "Sans groupe (6)",
                     "NOM059 Enfant059", "FAMILLE012 Jean", "Document édité le 02/12/2026 à 08:45"):
        assert expected in text, expected
    # Children without a group come last, and only the accepted bookings are listed.
    assert text.index("PS - Maternelle Pasteur") < text.index("Sans groupe")
    assert text.count("FAMILLE0") == 60


def test_an_unknown_format_is_refused(staff, town):
    occurrence = day_with(town, 1)
    response = staff.get(sheet_url(occurrence, format="xlsx"))
    assert response.status_code == 400
    assert "Format inconnu" in response.content.decode()
