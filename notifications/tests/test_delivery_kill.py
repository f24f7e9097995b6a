"""A night killed for real (SIGKILL) while its reports are being sent, then run again: every
family gets its report; the one e-mail in flight at the kill may arrive twice, with the same
Message-ID both times — never any other copy, never a report missing."""
import signal
from collections import Counter

import pytest
from django.core.management import call_command

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory
from notifications.models import OutboxEmail
from notifications.tests.recording_backend import deliveries
from portal.tests.killer import run_killed
from reservations.tests.factories import ActivityFactory
from reservations.tests.transmission_helpers import future_day, request

RECORDING = "notifications.tests.recording_backend.RecordingBackend"
SEND = "notifications.tests.recording_backend:RecordingBackend.send_messages"
FAMILIES = 5
Status = OutboxEmail.Status


def build_world():
    structure = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    activity = ActivityFactory(structure=structure)
    day = future_day(activity)
    for number in range(FAMILIES):
        family = FamilyFactory(structure=structure, email=f"famille{number}@example.org")
        request(child=ChildFactory(family=family), occurrence=day, order=number)
    return structure


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("when", ["before", "after"], ids=["claimed-not-handed-over", "handed-over-not-recorded"])
def test_a_night_killed_while_sending_delivers_every_report_on_rerun_and_only_the_one_in_flight_twice(
        when, tmp_path, settings):
    build_world()
    record = tmp_path / "deliveries.jsonl"

    killed = run_killed(at=SEND, call=3, when=when, command=["transmit", "--structure", "carteville"],
                        env={"EMAIL_BACKEND": RECORDING, "EMAIL_FILE_PATH": str(record)})

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    first = deliveries(record)
    assert len(first) == (3 if when == "after" else 2)
    assert Counter(OutboxEmail.objects.values_list("status", flat=True)) == {Status.SENT: 2, Status.SENDING: 1,
                                                                             Status.PENDING: 2}
    # The third row was claimed (committed) before the mail server was contacted: the trace of the crash.
    in_flight = OutboxEmail.objects.get(status=Status.SENDING)
    assert in_flight.attempts == 1 and in_flight.claimed_at is not None and in_flight.message_id
    assert (in_flight.message_id in {line["message_id"] for line in first}) == (when == "after")

    settings.EMAIL_BACKEND, settings.EMAIL_FILE_PATH = RECORDING, str(record)
    call_command("transmit", "--structure", "carteville", verbosity=0)   # no broker: sends inline

    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {Status.SENT}
    delivered = deliveries(record)
    per_recipient = Counter(line["to"][0] for line in delivered)
    assert sorted(per_recipient) == [f"famille{number}@example.org" for number in range(FAMILIES)]
    copies = {message_id: n for message_id, n in Counter(line["message_id"] for line in delivered).items() if n > 1}
    if when == "after":
        assert copies == {in_flight.message_id: 2} and per_recipient[in_flight.recipient] == 2
        assert len(delivered) == FAMILIES + 1
    else:
        assert copies == {} and len(delivered) == FAMILIES
    # Each row kept the Message-ID it was given at its first attempt.
    assert {row.recipient: row.message_id for row in OutboxEmail.objects.all()} == {
        line["to"][0]: line["message_id"] for line in delivered}
