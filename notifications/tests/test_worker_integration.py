"""End to end on a real Redis broker with a real Celery worker (a subprocess): beat's
nightly task fans out per structure, settles the requests, and the outbox e-mails are
sent by the worker (written to files by the file e-mail backend, read back here)."""
import email
import email.policy
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory
from notifications.models import OutboxEmail
from reservations.models import Reservation, TransmissionRun
from reservations.tests.factories import ActivityFactory
from reservations.tests.transmission_helpers import future_day, request

BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
State = Reservation.State


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path):
    redis.Redis.from_url(BROKER).flushdb()
    mail_dir = tmp_path / "mails"
    mail_dir.mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "notifications.tests.worker_settings", "DEBUG": "1",
           "DATABASE_URL": database_url(), "CELERY_BROKER_URL": BROKER, "EMAIL_FILE_PATH": str(mail_dir),
           "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
           "DB_CONN_MAX_AGE": "0"}
    env.pop("EMAIL_HOST", None)
    log = open(tmp_path / "worker.log", "w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "portal", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"h5-test-{os.getpid()}@%h"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while "ready." not in (tmp_path / "worker.log").read_text():
            assert process.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, "the worker did not start in 30 s"
            time.sleep(0.2)
        yield mail_dir, tmp_path / "worker.log"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
        redis.Redis.from_url(BROKER).flushdb()


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

    client = Celery("h5-test-client", broker=BROKER)
    client.send_task("reservations.tasks.nightly_transmission")

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
