"""Test-only Celery entry point (``celery -A reservations.tests.nightly.stalling_worker``): the
project's app, whose night stops for good at one point, after writing its process id to the
file STALL_MARKER names. The test then kills that process for real. It stalls once: a process
started after the marker exists (a new pool process) works normally. Where (STALL_IN):

- "settle" (the default): in the middle of a chunk — once STALL_AFTER_BATCHES batches of days
  are committed, before the chunk is recorded as done. It replaces the night's ``checkpoint``
  seam (a no-op in production);
- "report": in the middle of a range of reports — its first family's e-mail committed (the
  reports written one family per transaction here), that e-mail not yet handed to the broker,
  the range's other families not written, the range not recorded.

Armed in the process that runs the tasks, before its first task."""
import os
import time
from pathlib import Path

from celery.signals import before_task_publish, task_prerun

from portal.celery import app

__all__ = ["app"]
_armed = False


def _stall_once() -> None:
    marker = Path(os.environ["STALL_MARKER"])
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(3600)


@task_prerun.connect
def _arm(**kwargs) -> None:
    global _armed
    if _armed:
        return
    _armed = True
    if os.environ.get("STALL_IN", "settle") == "report":
        from notifications import reports

        assert hasattr(reports, "FAMILY_CHUNK"), "the reports are no longer written by chunks of families"
        reports.FAMILY_CHUNK = 1

        def stall_at_first_email(sender=None, **kwargs) -> None:
            if sender in ("notifications.tasks.send_outbox_batch", "notifications.tasks.send_outbox_email"):
                _stall_once()

        before_task_publish.connect(stall_at_first_email, weak=False)
        return
    from reservations.nightly import settle

    committed = 0

    def stall(phase: str, *, occurrences: int) -> None:
        nonlocal committed
        if phase != "batch_committed":
            return
        committed += 1
        if committed >= int(os.environ["STALL_AFTER_BATCHES"]):
            _stall_once()

    settle.checkpoint = stall
