"""Real Celery workers on Redis killed (SIGKILL) in the middle of a chunk of the chunked night:
the night finishes by itself, exactly as an uninterrupted one, every family's report sent.

- The whole worker killed: its chunk stays unacknowledged in Redis (visibility timeout: an
  hour here). Another worker takes the chunks still queued, and the watchdog, run by beat,
  settles the dead worker's chunk and finishes the run.
- Only its pool process killed: the task is rejected back to the queue
  (task_reject_on_worker_lost) and the worker's next pool process settles it, no watchdog
  needed (its stall time is an hour here).
- The whole worker killed in the middle of a range of reports (one family's e-mail committed,
  not yet queued for sending): another worker writes the next range, and the watchdog the rest
  of the dead one — every e-mail sent once, the run finished.
"""
import os
import signal
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
         "EMAIL_BACKEND": "notifications.tests.maildir_backend.MaildirBackend"}
STALLING = "reservations.tests.nightly.stalling_worker"
FINISHED_WITHIN = 45   # seconds after the kill: a worker start, the stall time, a watchdog tick, the finish

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


class _Rollback(Exception):
    pass


@pytest.fixture
def night(tmp_path):
    """The world, what an uninterrupted night makes of it, and the environment of the workers."""
    structure = build_world()
    try:
        with transaction.atomic():
            raise _Rollback(outcome(transmission_run(structure=structure, now=timezone.now())))
    except _Rollback as result:
        expected = result.args[0]
    (tmp_path / "mails").mkdir()
    broker_flush()
    workers: list[Worker] = []
    yield expected, {**NIGHT, "EMAIL_FILE_PATH": str(tmp_path / "mails"), "STALL_MARKER": str(tmp_path / "stalled"),
                     "STALL_AFTER_BATCHES": "2"}, workers
    for worker in workers:
        worker.stop()
    broker_flush()


def stalled_mid_chunk(marker_path: str, worker: Worker) -> TransmissionRun:
    """Start the night and wait until the worker stops in its second chunk: the first chunk
    recorded, the second one's days committed but the chunk not recorded."""
    send_task("reservations.tasks.nightly_transmission")
    deadline = time.monotonic() + 30
    while not os.path.exists(marker_path):
        assert time.monotonic() < deadline, worker.text()[-4000:]
        time.sleep(0.2)
    run = TransmissionRun.objects.get()
    assert run.status == TransmissionRun.Status.RUNNING and len(run.chunks) == 3 and len(run.chunks_done) == 1
    return run


def finished_by_itself(run: TransmissionRun, expected: dict, worker: Worker) -> None:
    killed_at = time.monotonic()
    while True:
        run.refresh_from_db()
        sent = OutboxEmail.objects.filter(run=run, status=OutboxEmail.Status.SENT).count()
        if run.status == TransmissionRun.Status.FINISHED and sent == len(expected["emails"]):
            break
        assert time.monotonic() - killed_at < FINISHED_WITHIN, worker.text()[-4000:]
        time.sleep(0.3)
    assert sorted(run.chunks_done) == [0, 1, 2]
    assert outcome(run) == expected


def test_a_worker_killed_mid_chunk_does_not_stall_the_night(night, tmp_path):
    expected, env, workers = night
    doomed = Worker(tmp_path, "doomed", app=STALLING, env=env).wait_ready()
    workers.append(doomed)
    run = stalled_mid_chunk(env["STALL_MARKER"], doomed)

    doomed.kill()
    survivor = Worker(tmp_path, "survivor", env={**env, "TRANSMISSION_STALL_SECONDS": "3",
                                                 "TRANSMISSION_WATCHDOG_SECONDS": "1"},
                      args=("--beat", "--schedule", str(tmp_path / "beat-schedule"))).wait_ready()
    workers.append(survivor)

    finished_by_itself(run, expected, survivor)
    assert f"transmission watchdog: run {run.pk} of carteville made no progress since" in survivor.text()
    assert len(list((tmp_path / "mails").iterdir())) == len(expected["emails"])   # one file per e-mail sent


def test_a_pool_process_killed_mid_chunk_gives_its_chunk_back_to_the_queue(night, tmp_path):
    expected, env, workers = night
    worker = Worker(tmp_path, "prefork", app=STALLING, pool="prefork",
                    env={**env, "TRANSMISSION_STALL_SECONDS": "3600"}).wait_ready()
    workers.append(worker)
    run = stalled_mid_chunk(env["STALL_MARKER"], worker)
    pool_process = int(open(env["STALL_MARKER"]).read())
    assert pool_process != worker.process.pid

    os.kill(pool_process, signal.SIGKILL)

    finished_by_itself(run, expected, worker)
    assert "transmission watchdog" not in worker.text()


def test_a_worker_killed_in_the_middle_of_a_range_of_reports_does_not_stall_the_night(night, tmp_path):
    expected, env, workers = night
    env = {**env, "STALL_IN": "report", "TRANSMISSION_REPORT_FAMILIES": "3"}   # 6 families: 2 ranges
    doomed = Worker(tmp_path, "doomed", app=STALLING, env=env).wait_ready()
    workers.append(doomed)
    send_task("reservations.tasks.nightly_transmission")
    deadline = time.monotonic() + 30
    while not os.path.exists(env["STALL_MARKER"]):
        assert time.monotonic() < deadline, doomed.text()[-4000:]
        time.sleep(0.2)
    run = TransmissionRun.objects.get()
    assert run.status == TransmissionRun.Status.RUNNING and sorted(run.chunks_done) == [0, 1, 2]
    assert len(run.report_ranges) == 2 and run.report_ranges_done == [] and run.posting_done
    assert OutboxEmail.objects.filter(run=run).count() == 1   # the first family of the first range

    doomed.kill()
    survivor = Worker(tmp_path, "survivor", env={**env, "TRANSMISSION_STALL_SECONDS": "3",
                                                 "TRANSMISSION_WATCHDOG_SECONDS": "1"},
                      args=("--beat", "--schedule", str(tmp_path / "beat-schedule"))).wait_ready()
    workers.append(survivor)

    finished_by_itself(run, expected, survivor)
    assert sorted(run.report_ranges_done) == [0, 1]
    assert f"transmission watchdog: run {run.pk} of carteville made no progress since" in survivor.text()
    assert len(list((tmp_path / "mails").iterdir())) == len(expected["emails"])   # each e-mail sent once
