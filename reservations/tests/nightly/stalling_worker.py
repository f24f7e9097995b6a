"""Test-only Celery entry point (``celery -A reservations.tests.nightly.stalling_worker``): the
project's app, whose night stops for good in the middle of a chunk — once STALL_AFTER_BATCHES
batches of days are committed, before the chunk is recorded as done — after writing its
process id to the file STALL_MARKER names. The test then kills that process for real. It
stalls once: a process started after the marker exists (a new pool process) works normally.
It replaces the night's ``checkpoint`` seam (a no-op in production) in the process that runs
the tasks, before its first task."""
import os
import time
from pathlib import Path

from celery.signals import task_prerun

from portal.celery import app

__all__ = ["app"]
_armed = False


@task_prerun.connect
def _arm(**kwargs) -> None:
    global _armed
    if _armed:
        return
    _armed = True
    from reservations.nightly import settle

    committed = 0

    def stall(phase: str, *, occurrences: int) -> None:
        nonlocal committed
        if phase != "batch_committed":
            return
        committed += 1
        marker = Path(os.environ["STALL_MARKER"])
        if committed >= int(os.environ["STALL_AFTER_BATCHES"]) and not marker.exists():
            marker.write_text(str(os.getpid()))
            time.sleep(3600)

    settle.checkpoint = stall
