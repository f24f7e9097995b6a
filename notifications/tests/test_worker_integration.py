"""End to end on a real Redis broker with a real Celery worker (a subprocess): beat's
nightly task fans out per structure, settles the requests, and the outbox e-mails are
sent by the worker (written to files by the file e-mail backend, read back here)."""
import email
import email.policy
import time

import pytest

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory
from notifications.models import OutboxEmail
from portal.tests.workers import Worker, broker_flush, send_task
from reservations.models import Reservation, TransmissionRun
from reservations.tests.factories import ActivityFactory
from reservations.tests.transmission_helpers import future_day, request

State = Reservation.State


@pytest.fixture
def worker(tmp_path):
    broker_flush()
    mail_dir = tmp_path / "mails"
    mail_dir.mkdir()
    process = Worker(tmp_path, "h5-test", env={"EMAIL_FILE_PATH": str(mail_dir),
                                               "EMAIL_BACKEND": "notifications.tests.maildir_backend.MaildirBackend"})
    try:
        process.wait_ready()
        yield mail_dir, process.log
    finally:
        process.stop()
        broker_flush()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_nightly_task_on_a_real_worker_settles_requests_and_sends_the_reports(worker):
    mail_dir, log = worker
    structure = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    other = StructureFactory(name="Association Les Cambianes", slug="cambianes")
    dupont = FamilyFactory(structure=structure, civility="M.", payer_name="DUPONT Jean-Paul", email="dupont@example.org")
    guide = FamilyFactory(structure=other, payer_name="GUIDE Denis", email="guide@example.org")
    canteen = ActivityFactory(structure=structure, name="Restauration Scolaire", limited_places=True)
    day = future_day(canteen, places=1, waiting_places=1)
    amalia, paolo = ChildFactory(family=dupont, first_name="Amalia"), ChildFactory(family=dupont, first_name="Paolo")
    request(child=amalia, occurrence=day, order=1)
    request(child=paolo, occurrence=day, order=2)
    request(child=ChildFactory(family=guide, first_name="Emmy"),
            occurrence=future_day(ActivityFactory(structure=other, name="APS MATIN")))

    send_task("reservations.tasks.nightly_transmission")

    deadline = time.monotonic() + 40
    while OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count() < 2:
        assert time.monotonic() < deadline, log.read_text()[-4000:]
        time.sleep(0.3)

    assert TransmissionRun.objects.filter(status=TransmissionRun.Status.FINISHED).count() == 2
    assert sorted(Reservation.objects.values_list("state", flat=True)) == sorted(
        [State.ACCEPTED, State.WAITING_LIST, State.ACCEPTED])
    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in sorted(mail_dir.iterdir())]
    by_recipient = {message["To"]: message for message in messages}
    assert sorted(by_recipient) == ["dupont@example.org", "guide@example.org"]
    report = by_recipient["dupont@example.org"]
    assert report["Subject"].strip() == "Compte rendu de vos demandes de réservation — Mairie de CarteVille"
    text = report.get_body(preferencelist=("plain",)).get_content()
    assert "- 2 mouvements sur vos demandes de réservations ont été reçus, dont :" in text.splitlines()
    assert "- 1 réservation a été acceptée" in text.splitlines()
    assert "- 1 réservation a été mise en liste d'attente" in text.splitlines()
    assert "<table" in report.get_body(preferencelist=("html",)).get_content()
