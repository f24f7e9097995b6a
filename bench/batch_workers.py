"""The chunked night with real Celery workers, for ``bench.batch --workers 1,2`` (issue 16 item 3).

Each number of workers runs ``transmit --fan-out chunks`` on its own copy of the same data; the
bench prints the seconds of each, the speed-up of two workers against one and whether every copy
ends in the state of the serial run.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


END_STATE = """SELECT md5(string_agg(id || ':' || state, ',' ORDER BY id)) || '/' ||
                     (SELECT count(*) FROM notifications_outboxemail) FROM reservations_reservation"""


RUN_SECONDS = """SELECT extract(epoch FROM finished_at - started_at) FROM reservations_transmissionrun
                  WHERE status = 'finished' ORDER BY id DESC LIMIT 1"""


def _query(database_url: str, sql: str):
    import psycopg2

    parsed = urlparse(database_url)
    with psycopg2.connect(dbname=parsed.path.lstrip("/"), user=parsed.username or "postgres",
                          host=parsed.hostname or "127.0.0.1", port=parsed.port or 5432) as connection:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone() if cursor.description else None
            return row[0] if row else None


def run_seconds(database_url: str) -> float:
    """The run's own duration, from its start to its end as it recorded them: the night as the
    workers did it, without the command's start (Django loading, about half a second) and wait."""
    return float(_query(database_url, RUN_SECONDS) or 0)


def end_state(database_url: str) -> str:
    """A fingerprint of every reservation's state and the number of report e-mails written."""
    return _query(database_url, END_STATE) or ""


def chunked_night(database_url: str, *, workers: int) -> float:
    """Seconds for ``transmit --fan-out chunks`` with this many real Celery workers (solo pool,
    one task at a time each) on Redis; the workers start before the clock and stop after it."""
    import redis

    broker = os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/7")
    redis.Redis.from_url(broker).flushdb()
    # DEBUG off, as in production and as the serial night is measured (DEBUG keeps every query's text).
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "0", "SECRET_KEY": "bench-" + "x" * 50,
           "ALLOWED_HOSTS": "localhost", "DATABASE_URL": database_url,
           "CELERY_BROKER_URL": broker, "TRANSMISSION_FAN_OUT": "chunks", "LOG_LEVEL": "WARNING",
           "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
    celery = str(Path(sys.executable).parent / "celery")
    logs, processes = [], []
    for number in range(workers):
        log = open(f"/tmp/bench-worker-{os.getpid()}-{number}.log", "w+")   # closed in the finally below
        logs.append(log)
        processes.append(subprocess.Popen(
            [celery, "-A", "portal", "worker", "--pool=solo", "--concurrency=1", "--loglevel=INFO", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "-n", f"bench{number}-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    try:
        for log, process in zip(logs, processes, strict=True):
            deadline = time.monotonic() + 60
            while "ready." not in Path(log.name).read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"a worker did not start:\n{Path(log.name).read_text()[-2000:]}")
                time.sleep(0.2)
        _query(database_url, "CHECKPOINT")   # the runs before wrote a lot: not this one's to write out
        started = time.perf_counter()
        command = subprocess.run([sys.executable, "manage.py", "transmit", "--fan-out", "chunks", "--verbosity", "0"],
                                 cwd=ROOT, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if command.returncode:
            raise SystemExit(command.stderr)
        return elapsed
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        for log in logs:
            log.close()
            os.unlink(log.name)


def workers_compare(copies: dict[int, str], *, server: str, database_url: str) -> None:
    seconds, own, states = {}, {}, {end_state(database_url)}
    for count, copy in copies.items():
        copy_url = f"{server.rstrip('/')}/{copy}"
        load = os.getloadavg()[0]
        seconds[count] = chunked_night(copy_url, workers=count)
        own[count] = run_seconds(copy_url)
        states.add(end_state(copy_url))
        print(f"chunked night with {count} worker(s): {seconds[count]:.1f} s by the command, the run's own "
              f"{own[count]:.1f} s (load {load:.1f} before, {os.getloadavg()[0]:.1f} after; whole night target ≤ 8 s, "
              "issue 16)")
    if 1 in seconds and 2 in seconds:
        print(f"two workers against one: {seconds[1] / seconds[2]:.2f}× faster by the command, "
              f"{own[1] / own[2]:.2f}× by the run's own times (target ≥ 1.6×)")
    print("same end state as the serial run: " + ("yes" if len(states) == 1 else f"NO ({len(states)} different)"))
