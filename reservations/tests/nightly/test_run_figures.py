"""A night's figures are counted from the rows it wrote: a run killed for real (SIGKILL) in
any phase shows what it did once the rerun takes it over, the two runs add up to the figures
of an uninterrupted night, the end state is the uninterrupted one, and the header's date is
the rerun's end."""
import signal
from collections import Counter
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory
from billing.models import Consumption
from notifications.models import OutboxEmail
from notifications.tests.recording_backend import deliveries
from portal.tests.killer import run_killed
from reservations.context_processors import last_update
from reservations.models import Reservation, TransmissionRun
from reservations.nightly.figures import LABELS, run_figures
from reservations.nightly.run import transmission_run
from reservations.tests.factories import ActivityFactory
from reservations.tests.transmission_helpers import cancel_request, future_day, request, settled

State = Reservation.State
Attendance = Reservation.Attendance
RECORDING = "notifications.tests.recording_backend.RecordingBackend"
PER_TRANSACTION = 2


def build_world():
    """Six future days (2 places, 1 waiting: accepted, waiting list, refused, a cancellation
    and a waiting-list promotion every other day), a day validated by staff, five past bookings to post (one absence not
    charged); six families, one without an e-mail address."""
    structure = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    activity = ActivityFactory(structure=structure, limited_places=True, charge_unexcused_absence=False)
    decided = ActivityFactory(structure=structure, needs_staff_decision=True)
    families = [FamilyFactory(structure=structure, email=f"famille{n}@example.org" if n else "") for n in range(6)]
    kids = [ChildFactory(family=family) for family in families]
    for number in range(6):
        day = future_day(activity, places=2, waiting_places=1)
        holder = settled(child=kids[5], occurrence=day)
        if number % 2 == 0:
            cancel_request(holder)
            settled(child=kids[4], occurrence=day, state=State.WAITING_LIST, order=1)   # promoted tonight
        for order, kid in enumerate(kids[:4]):
            request(child=kid, occurrence=day, order=order)
    request(child=kids[4], occurrence=future_day(decided))
    for number, kid in enumerate(kids[:5]):
        past = future_day(activity, date=timezone.localdate() - timezone.timedelta(days=number + 1))
        settled(child=kid, occurrence=past, attendance=Attendance.ABSENT if number == 0 else "")
    return structure


def end_state():
    return {
        "states": sorted(Reservation.objects.values_list("pk", "state")),
        "consumptions": sorted(Consumption.objects.values_list("source_key", "total")),
        "reports": Counter(OutboxEmail.objects.values_list("family_id", flat=True)),
    }


class _Rollback(Exception):
    pass


def uninterrupted(structure):
    """The figures and end state of the same night run without a crash (then rolled back)."""
    try:
        with transaction.atomic():
            run = transmission_run(structure=structure, now=timezone.now(), per_transaction=PER_TRANSACTION)
            raise _Rollback(run.counts, end_state())
    except _Rollback as result:
        return result.args


KILLS = {
    # inside the transaction of the second batch of days (the first one committed)
    "settling": {"at": "reservations.nightly.settle:checkpoint", "call": 3},
    # inside the second chunk of bookings posted (the first chunk of two committed)
    "posting": {"at": "reservations.nightly.posting:consumption_post", "call": 3,
                "sets": ("reservations.nightly.posting:POST_CHUNK=2",)},
    # inside the reports: the second chunk's first report rendered (chunks of two), the first chunk
    # written or being written beside it (the rendering runs ahead in its own thread)
    "reports": {"at": "notifications.reports:report_render", "call": 3, "sets": ("notifications.reports:FAMILY_CHUNK=2",)},
    # the third report handed to the mail server, not yet recorded as sent
    "sending": {"at": "notifications.tests.recording_backend:RecordingBackend.send_messages", "call": 3},
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("phase", list(KILLS))
def test_a_night_killed_then_rerun_adds_up_to_an_uninterrupted_night(phase, tmp_path, settings):
    structure = build_world()
    expected_counts, expected_state = uninterrupted(structure)
    assert expected_counts["accepted"] and expected_counts["promoted"] and expected_counts["consumptions_not_charged"]
    assert expected_counts["emails_queued"] == 5 and expected_counts["emails_no_address"] == 1
    record = tmp_path / "deliveries.jsonl"

    killed = run_killed(**KILLS[phase], when="after",
                        command=["transmit", "--structure", "carteville", "--per-transaction", str(PER_TRANSACTION)],
                        env={"EMAIL_BACKEND": RECORDING, "EMAIL_FILE_PATH": str(record)})

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    dead = TransmissionRun.objects.get()
    assert dead.status == TransmissionRun.Status.RUNNING and dead.counts == {}   # nothing it kept in memory survived

    settings.EMAIL_BACKEND, settings.EMAIL_FILE_PATH = RECORDING, str(record)
    rerun = transmission_run(structure=structure, now=timezone.now(), per_transaction=PER_TRANSACTION)

    dead.refresh_from_db()
    assert dead.status == TransmissionRun.Status.FAILED and dead.taken_over_by == rerun
    assert dead.counts == run_figures(run=dead) and any(dead.counts.values())
    if phase != "settling":   # it had answered every request before it died
        assert {key: dead.counts[key] for key in ("occurrences", "accepted", "refused", "promoted")} == {
            key: expected_counts[key] for key in ("occurrences", "accepted", "refused", "promoted")}
    # The two runs of the night add up to the uninterrupted one, figure by figure.
    assert {key: dead.counts.get(key, 0) + rerun.counts.get(key, 0) for key in LABELS} == {
        key: expected_counts.get(key, 0) for key in LABELS}
    assert end_state() == expected_state
    assert {line["to"][0] for line in deliveries(record)} == {f"famille{n}@example.org" for n in range(1, 6)}
    assert last_update(SimpleNamespace(structure=structure)) == {"last_update": rerun.finished_at}
