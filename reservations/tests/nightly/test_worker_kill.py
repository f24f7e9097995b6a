"""A real Celery worker on Redis killed (SIGKILL) in the middle of a chunk of the chunked night:
its chunk stays unacknowledged in Redis (visibility timeout: an hour here), yet the night
finishes by itself — another worker takes the chunks still queued and the watchdog, run by
beat, settles the dead worker's chunk and finishes the run — exactly as an uninterrupted one,
every family's report sent."""
import time

import pytest
from django.db import transaction
from django.utils import timezone

from notifications.models import OutboxEmail
from portal.tests.workers import Worker, broker_flush, send_task
from reservations.models import TransmissionRun
from reservations.nightly.run import transmission_run
from reservations.tests.nightly.test_transmission_chunks import build_world, outcome

NIGHT = {"TRANSMISSION_FAN_OUT": "chunks", "TRANSMISSION_CHUNK_SIZE": "3", "CELERY_VISIBILITY_TIMEOUT": "3600",
         "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}
STALL_SECONDS = 3
FINISHED_WITHIN = 45   # seconds after the kill: worker start, STALL_SECONDS, a watchdog tick, the finish


class _Rollback(Exception):
    pass


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_chunk_does_not_stall_the_night(tmp_path):
    structure = build_world()
    try:
        with transaction.atomic():
            raise _Rollback(outcome(transmission_run(structure=structure, now=timezone.now())))
    except _Rollback as result:
        expected = result.args[0]
    mails, marker = tmp_path / "mails", tmp_path / "stalled"
    mails.mkdir()
    env = {**NIGHT, "EMAIL_FILE_PATH": str(mails)}
    broker_flush()
    doomed = Worker(tmp_path, "doomed", app="reservations.tests.nightly.stalling_worker",
                    env={**env, "STALL_AFTER_BATCHES": "2", "STALL_MARKER": str(marker)})
    survivor = None
    try:
        doomed.wait_ready()
        send_task("reservations.tasks.nightly_transmission")
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert time.monotonic() < deadline, doomed.text()[-4000:]
            time.sleep(0.2)
        # Its first chunk recorded, the second one's days committed but the chunk not recorded.
        run = TransmissionRun.objects.get()
        assert run.status == TransmissionRun.Status.RUNNING and len(run.chunks) == 3 and len(run.chunks_done) == 1

        doomed.kill()
        killed_at = time.monotonic()
        survivor = Worker(tmp_path, "survivor", env={**env, "TRANSMISSION_STALL_SECONDS": str(STALL_SECONDS),
                                                     "TRANSMISSION_WATCHDOG_SECONDS": "1"},
                          args=("--beat", "--schedule", str(tmp_path / "beat-schedule"))).wait_ready()
        while True:
            run.refresh_from_db()
            sent = OutboxEmail.objects.filter(run=run, status=OutboxEmail.Status.SENT).count()
            if run.status == TransmissionRun.Status.FINISHED and sent == len(expected["emails"]):
                break
            assert time.monotonic() - killed_at < FINISHED_WITHIN, survivor.text()[-4000:]
            time.sleep(0.3)
    finally:
        doomed.stop()
        if survivor is not None:
            survivor.stop()
        broker_flush()

    assert sorted(run.chunks_done) == [0, 1, 2]
    assert outcome(run) == expected
    assert f"transmission watchdog: run {run.pk} of carteville made no progress since" in survivor.text()
    assert len(list(mails.iterdir())) == len(expected["emails"])   # one file per e-mail sent
