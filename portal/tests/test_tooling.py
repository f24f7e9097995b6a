"""The two commands on a new machine: what .ci/ensure_services.sh decides, and `make run`'s port check.

The decision (`plan`) is checked by sourcing the script with given facts: nothing is installed
or started here. The port check runs the real `make run` against a port this test holds.
"""
import os
import shutil
import socket
import subprocess

import pytest
from django.conf import settings

ROOT = settings.BASE_DIR
SCRIPT = ROOT / ".ci" / "ensure_services.sh"
WEASYPRINT_LIBS = ("libglib2.0-0 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 "
                   "fonts-dejavu-core")


def _bash(command, **env):
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, **env})


def plan(mode, can_install, pg, redis, chromium, weasyprint, validator="yes"):
    result = _bash(f'source "{SCRIPT}" && plan {mode} {can_install} {pg} {redis} {chromium} {weasyprint} {validator}')
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


# --- ensure_services: what it decides -------------------------------------------------------

def test_a_bare_debian_machine_as_root_gets_everything_installed_configured_and_started():
    assert plan("test", "yes", "absent", "absent", "no", "no") == [
        f"install {WEASYPRINT_LIBS} postgresql redis-server chromium",
        "trust-postgres",
        "start postgresql",
        "start redis",
    ]


def test_installed_but_stopped_services_are_started_without_root_or_apt():
    assert plan("test", "no", "stopped", "stopped", "yes", "yes") == ["start postgresql", "start redis"]


def test_without_root_what_is_missing_is_explained_not_installed():
    actions = plan("test", "no", "absent", "absent", "no", "no")
    assert actions == ["tell weasyprint", "tell postgresql", "tell redis", "tell chromium"]


def test_an_existing_postgresql_that_wants_a_password_is_never_reconfigured():
    actions = plan("test", "yes", "refused", "up", "yes", "yes")
    assert actions == ["tell postgresql-auth"]


def test_a_test_database_on_another_host_is_left_alone():
    assert plan("test", "yes", "remote", "up", "yes", "yes") == []


def test_the_html_validator_needs_java_and_npm_for_the_tests_only():
    assert plan("test", "yes", "up", "up", "yes", "yes", "no") == ["install default-jre-headless npm"]
    assert plan("test", "no", "up", "up", "yes", "yes", "no") == ["tell validator"]
    assert plan("run", "yes", "up", "up", "yes", "yes", "no") == []


def test_make_run_only_needs_the_weasyprint_libraries():
    assert plan("run", "yes", "absent", "absent", "no", "no") == [f"install {WEASYPRINT_LIBS}"]
    assert plan("run", "no", "absent", "absent", "no", "no") == ["tell weasyprint"]
    assert plan("run", "no", "absent", "absent", "no", "yes") == []


@pytest.mark.parametrize("what, says", [
    ("postgresql", ["apt-get install postgresql", "host all postgres 127.0.0.1/32 trust", "TEST_DATABASE_URL="]),
    ("postgresql-auth", ["does not", "host all postgres 127.0.0.1/32 trust", "TEST_DATABASE_URL="]),
    ("redis", ["apt-get install redis-server"]),
    ("chromium", ["apt-get install chromium", "CHROMIUM_PATH"]),
    ("weasyprint", [f"apt-get install {WEASYPRINT_LIBS}"]),
    ("validator", ["apt-get install default-jre-headless npm"]),
    ("vnu", ["npm install --prefix", "vnu-jar@", "VNU_JAR"]),
])
def test_each_explanation_says_exactly_what_to_install_or_configure(what, says):
    result = _bash(f'source "{SCRIPT}" && tell {what}')
    for words in says:
        assert words in result.stdout


def test_the_probing_finds_what_this_suite_is_using():
    # The suite is running, so PostgreSQL (on the default URL's server), Redis, Chromium and
    # WeasyPrint are all here: the dry run finds nothing to do.
    url = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
    result = _bash(f'"{SCRIPT}" test --dry-run', TEST_DATABASE_URL=url, PYTHON_BIN=str(ROOT / ".venv" / "bin" / "python"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "nothing to do"


# --- make run: the port -----------------------------------------------------------------

@pytest.mark.skipif(shutil.which("make") is None or not (ROOT / ".venv" / "bin" / "python").exists(),
                    reason="needs make and the project's .venv")
def test_make_run_says_the_port_is_taken_before_starting_anything(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(["make", "--no-print-directory", "run", f"PORT={port}"], capture_output=True, text=True,
                                timeout=300, cwd=ROOT, env={**os.environ, "SQLITE_PATH": str(tmp_path / "db.sqlite3")})
    assert result.returncode != 0
    assert f"Port {port} is already in use on 127.0.0.1" in result.stderr
    assert f"make run PORT={port + 1}" in result.stderr
    assert "migrate" not in result.stdout and not (tmp_path / "db.sqlite3").exists()


def test_a_free_port_passes_the_check_and_a_bad_one_is_explained():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    free = subprocess.run(["python3", ".ci/port_free.py", str(port)], capture_output=True, text=True, cwd=ROOT)
    assert free.returncode == 0, free.stderr
    bad = subprocess.run(["python3", ".ci/port_free.py", "huit-mille"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2
    assert "PORT must be a number between 1 and 65535" in bad.stderr
