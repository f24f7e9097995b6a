"""The night renders a chunk's reports in a second thread while it writes the previous chunk
(notifications.reports.reports_write, issue 16): what that thread raises reaches the night at the
chunk it belongs to — the chunks before are written, nothing of that chunk or after is, and the
next writer tells the rest, each family once."""
import threading

import pytest

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory
from notifications import reports
from notifications.models import OutboxEmail, ReportWatermark
from reservations.models import Reservation, ReservationEvent
from reservations.tests.factories import ActivityFactory, TransmissionRunFactory
from reservations.tests.transmission_helpers import future_day, request

State = Reservation.State
pytestmark = pytest.mark.django_db


def a_night_of(count):
    structure = StructureFactory(slug="rendu")
    canteen = ActivityFactory(structure=structure)
    run = TransmissionRunFactory(structure=structure)
    families = []
    for _index in range(count):
        family = FamilyFactory(structure=structure, email="f@example.org")
        asked = request(child=ChildFactory(family=family), occurrence=future_day(canteen))
        ReservationEvent.objects.create(reservation=asked, kind=ReservationEvent.Kind.ACCEPTED, run=run,
                                        from_state=State.NOT_TRANSMITTED, to_state=State.ACCEPTED)
        families.append(family.pk)
    return run, sorted(families)


def test_a_report_that_fails_to_render_stops_the_writing_at_its_chunk(monkeypatch):
    run, families = a_night_of(4)
    monkeypatch.setattr(reports, "FAMILY_CHUNK", 1)
    original = reports.report_render
    rendered_in = []

    def render(report, **kwargs):
        rendered_in.append(threading.current_thread().name)
        if report.family.pk == families[2]:
            raise ValueError("a body could not be built")
        return original(report, **kwargs)

    monkeypatch.setattr(reports, "report_render", render)

    with pytest.raises(ValueError, match="could not be built"):
        reports.reports_write(run=run, queue=False)

    assert sorted(OutboxEmail.objects.values_list("family_id", flat=True)) == families[:2]
    assert sorted(ReportWatermark.objects.values_list("family_id", flat=True)) == families[:2]
    assert threading.current_thread().name not in rendered_in   # rendered beside the writing
    monkeypatch.setattr(reports, "report_render", original)
    assert reports.reports_write(run=run, queue=False)["emails_queued"] == 2
    assert sorted(OutboxEmail.objects.values_list("family_id", flat=True)) == families
