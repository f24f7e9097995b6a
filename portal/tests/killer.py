"""Test-only entry point: run a manage.py command and kill the process for real (SIGKILL)
at a chosen call of a chosen function — the kill tests' checkpoint, driven from test code.

    python -m portal.tests.killer --at notifications.tests.recording_backend:RecordingBackend.send_messages \\
        --call 3 --when after [--set notifications.reports:FAMILY_CHUNK=2] -- transmit --structure carteville

``--at module:attribute.path`` names the function where the caller looks it up (a function
imported with ``from x import f`` is patched in the importing module). ``--when before``
dies before the call runs, ``after`` once it has returned (its effects done, the caller not
continued). ``--set`` changes a module constant first (e.g. smaller chunks). Nothing here is
reachable from the project's own code.
"""
import argparse
import functools
import importlib
import itertools
import os
import signal
import sys
import time


def _resolve(spec: str):
    module_name, _sep, path = spec.partition(":")
    owner = importlib.import_module(module_name)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    return owner, name


def _die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _arm(spec: str, *, call: int, when: str) -> None:
    owner, name = _resolve(spec)
    original = getattr(owner, name)
    calls = 0

    @functools.wraps(original)
    def checkpoint(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == call and when == "before":
            _die()
        result = original(*args, **kwargs)
        if calls == call and when == "after":
            _die()
        return result

    setattr(owner, name, checkpoint)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--at", required=True)
    parser.add_argument("--call", type=int, default=1)
    parser.add_argument("--when", choices=("before", "after"), default="after")
    parser.add_argument("--set", action="append", default=[], metavar="module:NAME=integer")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    for assignment in args.set:
        target, _sep, value = assignment.partition("=")
        owner, name = _resolve(target)
        setattr(owner, name, int(value))
    _arm(args.at, call=args.call, when=args.when)
    from django.core.management import execute_from_command_line

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    execute_from_command_line(["manage.py", *command])


if __name__ == "__main__":
    main(sys.argv[1:])


# --- used by the tests that start it ---------------------------------------------------

def database_url(connection) -> str:
    """The test database, as DATABASE_URL for a child process."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def run_killed(*, at: str, call: int, when: str, command: list[str], sets: tuple[str, ...] = (), env: dict | None = None,
               timeout: int = 60):
    """Run ``manage.py <command>`` in a child process (the project's settings in development
    mode on the test database, no broker: tasks run inline) armed to die at that call.
    Returns once the dead process's database sessions are gone too: PostgreSQL notices a
    killed client a moment later, and until then its locks are still held."""
    import subprocess

    from django.conf import settings
    from django.db import connection

    name = f"killed-{os.getpid()}-{next(_children)}"
    child_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "1",
                 "DATABASE_URL": f"{database_url(connection)}?application_name={name}", "CELERY_BROKER_URL": "",
                 "DB_CONN_MAX_AGE": "0", **(env or {})}
    child_env.pop("EMAIL_HOST", None)
    argv = [sys.executable, "-m", "portal.tests.killer", "--at", at, "--call", str(call), "--when", when]
    for assignment in sets:
        argv += ["--set", assignment]
    result = subprocess.run([*argv, "--", *command], cwd=settings.BASE_DIR, env=child_env, capture_output=True,
                            text=True, timeout=timeout)
    sessions_gone(connection, application_name=name)
    return result


_children = itertools.count()


def sessions_gone(connection, *, application_name: str, timeout: float = 15) -> None:
    """Wait until no database session of that name is left."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name])
            if not cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the sessions of {application_name} were still open after {timeout} s")
            time.sleep(0.05)
