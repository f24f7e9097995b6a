"""``manage.py transmit --fan-out chunks``: the night by hand, cut into chunks as beat does with
TRANSMISSION_FAN_OUT="chunks" — run here one after the other without a broker, shared by real
Celery workers on Redis with one — ends exactly as the serial run (issue 16 item 3)."""
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from portal.tests.killer import database_url
from portal.tests.workers import BROKER, Worker, broker_flush
from reservations.models import TransmissionRun
from reservations.nightly.run import transmission_run
from reservations.tests.nightly.test_transmission_chunks import build_world, outcome


class _Rollback(Exception):
    pass


def serial_outcome(structure) -> dict:
    """What the serial night makes of the world, rolled back."""
    try:
        with transaction.atomic():
            raise _Rollback(outcome(transmission_run(structure=structure, now=timezone.now())))
    except _Rollback as result:
        return result.args[0]


@pytest.mark.django_db(transaction=True)   # the last chunk queues the finish on commit, as in production
def test_without_a_broker_the_chunks_run_here_and_end_as_the_serial_night(settings):
    structure = build_world()
    expected = serial_outcome(structure)
    settings.TRANSMISSION_CHUNK_SIZE = 3
    out = StringIO()

    call_command("transmit", "--fan-out", "chunks", "--wait", "30", stdout=out)

    run = TransmissionRun.objects.get()
    assert run.chunked and len(run.chunks) == 3 and sorted(run.chunks_done) == [0, 1, 2]
    assert outcome(run) == expected
    assert "3 lot(s) confiés aux workers" in out.getvalue() and "Terminé : " in out.getvalue()


@pytest.mark.django_db
def test_a_dry_run_cannot_be_handed_to_the_workers():
    with pytest.raises(CommandError, match="--dry-run ne se combine pas avec --fan-out chunks"):
        call_command("transmit", "--fan-out", "chunks", "--dry-run")
    assert not TransmissionRun.objects.exists()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_two_real_workers_share_the_chunks_and_the_night_ends_as_the_serial_one(tmp_path):
    structure = build_world()
    expected = serial_outcome(structure)
    broker_flush()
    env = {"TRANSMISSION_CHUNK_SIZE": "2", "EMAIL_BACKEND": "notifications.tests.maildir_backend.MaildirBackend",
           "EMAIL_FILE_PATH": str(tmp_path)}
    workers = [Worker(tmp_path, f"chunks-{number}", env=env).wait_ready() for number in range(2)]
    try:
        command = subprocess.run(
            [sys.executable, "manage.py", "transmit", "--fan-out", "chunks", "--wait", "60"],
            cwd=django_settings.BASE_DIR, capture_output=True, text=True, timeout=120,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "1",
                 "DATABASE_URL": database_url(connection), "CELERY_BROKER_URL": BROKER, **env})
    finally:
        for worker in workers:
            worker.stop()
        broker_flush()
    assert command.returncode == 0, command.stderr + "".join(worker.text()[-2000:] for worker in workers)
    run = TransmissionRun.objects.get()
    assert run.chunked and len(run.chunks) == 4 and sorted(run.chunks_done) == [0, 1, 2, 3]   # 8 days by 2
    assert outcome(run) == expected
    assert "Terminé : " in command.stdout
