"""Real Celery workers for the tests: subprocesses on the real Redis broker (database number
from CELERY_TEST_BROKER_URL, one per helper or CI job), on the test database."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from .killer import database_url

BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


def broker_flush() -> None:
    redis.Redis.from_url(BROKER).flushdb()


class Worker:
    """``celery -A <app> worker`` with the settings module and environment given. The solo
    pool runs tasks in the worker's own process (killing it kills the task); "prefork" runs
    them in a child process (one), which can be killed alone."""

    def __init__(self, folder: Path, name: str, *, app: str = "portal", env: dict | None = None,
                 args: tuple[str, ...] = (), settings_module: str = "notifications.tests.worker_settings",
                 pool: str = "solo"):
        self.log = folder / f"{name}.log"
        child_env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module, "DEBUG": "1",
                     "DATABASE_URL": database_url(connection), "CELERY_BROKER_URL": BROKER, "DB_CONN_MAX_AGE": "0",
                     **(env or {})}
        child_env.pop("EMAIL_HOST", None)
        self._output = open(self.log, "w")   # closed in stop()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "celery"), "-A", app, "worker", f"--pool={pool}", "--concurrency=1",
             "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}-{os.getpid()}@%h", *args],
            cwd=settings.BASE_DIR, env=child_env, stdout=self._output, stderr=subprocess.STDOUT, start_new_session=True)

    def text(self) -> str:
        return self.log.read_text()

    def wait_ready(self, timeout: float = 30) -> "Worker":
        deadline = time.monotonic() + timeout
        while "ready." not in self.text():
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, f"the worker did not start in {timeout} s:\n{self.text()}"
            time.sleep(0.2)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, no cleanup — a machine losing power."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._output.close()


def send_task(name: str, *args) -> None:
    """Queue a task on the test broker from the test process, as beat would. The client app
    is not made Celery's current app: the test process's own tasks stay eager."""
    client = Celery("test-client", broker=BROKER, set_as_current=False)
    try:
        client.send_task(name, args=args)
    finally:
        client.close()
