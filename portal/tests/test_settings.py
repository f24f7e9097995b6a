"""Production settings refuse to start without secrets, and `check --deploy` is clean.

Each case runs manage.py in a subprocess with a clean environment, as an operator would.
"""
import ast
import os
import secrets
import string
import subprocess
import sys

import pytest
import time_machine
from django.conf import global_settings, settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import TEST_PASSWORD

MANAGE = str(settings.BASE_DIR / "manage.py")
ENV_PREFIXES = ("DJANGO_", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DATABASE_URL", "SECURE_", "CSRF_", "SESSION_",
                "BEHIND_HTTPS_PROXY", "CACHE_URL", "EMAIL_", "CELERY_")


def _manage(*args, **env):
    base = {key: value for key, value in os.environ.items() if not key.startswith(ENV_PREFIXES)}
    base["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    return subprocess.run([sys.executable, MANAGE, *args], env={**base, **env}, capture_output=True, text=True,
                          timeout=120, cwd=settings.BASE_DIR)


def _random_secret():
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(50))


def test_production_without_secret_key_fails_with_a_clear_message():
    result = _manage("check", "--deploy", DEBUG="0", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set in the environment when DEBUG is off" in result.stderr


def test_production_without_allowed_hosts_fails_with_a_clear_message():
    result = _manage("check", "--deploy", DEBUG="0", SECRET_KEY=_random_secret())
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set when DEBUG is off" in result.stderr


def test_production_check_deploy_is_clean():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="0", SECRET_KEY=_random_secret(),
                     ALLOWED_HOSTS="example.org")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_development_check_deploy_does_warn_so_the_clean_run_above_means_something():
    result = _manage("check", "--deploy", DEBUG="1")
    assert "security.W018" in result.stdout + result.stderr  # DEBUG on in deployment


# --- sessions ------------------------------------------------------------------

def test_session_expires_after_an_idle_hour_and_each_request_extends_it(client, parent):
    assert settings.SESSION_COOKIE_AGE == 3600
    home = reverse("portal:home")
    with time_machine.travel("2026-11-26 08:00 +0000", tick=False) as clock:
        assert client.post(reverse("accounts:login"), {"username": parent.username, "password": TEST_PASSWORD}).status_code == 302
        clock.shift(3000)
        assert client.get(home).status_code == 200
        clock.shift(3000)  # 6000 s after login, but only 3000 s idle
        assert client.get(home).status_code == 200
        clock.shift(3601)
        response = client.get(home)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_pages_seen_within_a_minute_do_not_write_the_session_again(client, parent):
    home = reverse("portal:home")
    with time_machine.travel("2026-11-26 08:00 +0000", tick=False) as clock:
        client.post(reverse("accounts:login"), {"username": parent.username, "password": TEST_PASSWORD})
        clock.shift(settings.SESSION_REFRESH_SECONDS + 1)
        with CaptureQueriesContext(connection) as refreshed:
            assert client.get(home).status_code == 200
        clock.shift(settings.SESSION_REFRESH_SECONDS - 5)
        with CaptureQueriesContext(connection) as quiet:
            assert client.get(home).status_code == 200
    writes = [[q["sql"] for q in queries if q["sql"].startswith("UPDATE \"django_session\"")]
              for queries in (refreshed.captured_queries, quiet.captured_queries)]
    assert len(writes[0]) == 1 and writes[1] == []


@pytest.mark.parametrize("name", ["SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY"])
def test_cookies_are_kept_away_from_scripts(name):
    assert getattr(settings, name) is True


def test_manage_py_in_an_unconfigured_shell_uses_development_settings():
    result = _manage("check")
    assert result.returncode == 0, result.stderr


def test_manage_py_with_a_secret_key_but_no_debug_stays_in_production_mode():
    # An operator who forgot DEBUG=0 still gets production settings and their checks.
    result = _manage("check", SECRET_KEY=_random_secret())
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set when DEBUG is off" in result.stderr


# --- values read from the environment --------------------------------------------

def _production(*args, **env):
    return _manage(*args, DEBUG="0", SECRET_KEY=_random_secret(), ALLOWED_HOSTS="example.org", **env)


def _printed_setting(name, **env):
    result = _production("shell", "--no-imports", "-c", f"from django.conf import settings; print(repr(settings.{name}))", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("variable, value", [
    ("EMAIL_USE_TLS", "ture"),
    ("SECURE_SSL_REDIRECT", "non"),
    ("BEHIND_HTTPS_PROXY", "2"),
])
def test_a_boolean_it_does_not_understand_stops_the_process_naming_the_variable(variable, value):
    result = _production("check", EMAIL_HOST="smtp.example.org", **{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{variable}='{value}' is not a yes/no value" in result.stderr


def test_a_misspelt_debug_stops_instead_of_choosing_a_mode():
    result = _manage("check", DEBUG="ture")
    assert result.returncode != 0
    assert "DEBUG='ture' is not a yes/no value" in result.stderr


@pytest.mark.parametrize("value, expected", [("Off", "False"), ("no", "False"), ("0", "False"), (" FALSE ", "False"),
                                             ("on", "True"), ("YES", "True"), ("1", "True"), ("", "True")])
def test_usual_spellings_of_yes_and_no_are_understood(value, expected):
    assert _printed_setting("EMAIL_USE_TLS", EMAIL_HOST="smtp.example.org", EMAIL_USE_TLS=value) == expected


@pytest.mark.parametrize("variable, value, message", [
    ("THROTTLE_MAX_FAILURES", "five", "THROTTLE_MAX_FAILURES='five' is not a whole number"),
    ("EMAIL_PORT", "587.0", "EMAIL_PORT='587.0' is not a whole number"),
    ("TRANSMISSION_CHUNK_SIZE", "0", "TRANSMISSION_CHUNK_SIZE=0 is too small: it must be at least 1"),
    ("SECURE_HSTS_SECONDS", "-1", "SECURE_HSTS_SECONDS=-1 is too small: it must be at least 0"),
])
def test_a_number_that_is_not_one_stops_the_process_naming_the_variable(variable, value, message):
    result = _production("check", EMAIL_HOST="smtp.example.org", **{variable: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_a_number_from_the_environment_is_used_and_an_empty_one_means_the_default():
    assert _printed_setting("THROTTLE_MAX_FAILURES", THROTTLE_MAX_FAILURES=" 7 ") == "7"
    assert _printed_setting("THROTTLE_MAX_FAILURES", THROTTLE_MAX_FAILURES="") == "5"


def test_a_nightly_time_outside_the_clock_stops_the_process():
    result = _production("check", NIGHTLY_TRANSMISSION_TIME="25:30")
    assert result.returncode != 0
    assert "NIGHTLY_TRANSMISSION_TIME must look like HH:MM" in result.stderr


# --- every setting the code reads is declared ------------------------------------------

def _settings_read_in(path):
    """Upper-case names read as settings.X or getattr(settings, "X", ...) in one file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "settings"
                and node.attr.isupper()):
            names.add(node.attr)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"getattr", "hasattr"}
              and len(node.args) >= 2 and isinstance(node.args[0], ast.Name) and node.args[0].id == "settings"
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            names.add(node.args[1].value)
    return names


def test_every_setting_read_anywhere_is_declared_in_settings_py_or_by_django():
    import portal.settings as declared

    root = settings.BASE_DIR
    sources = [path for path in root.rglob("*.py") if not path.relative_to(root).parts[0].startswith(".")]
    read = {(name, str(path.relative_to(root))) for path in sources for name in _settings_read_in(path)}
    assert any(name == "OUTBOX_AUTO_SEND" for name, _ in read)  # the scan does see the project's own settings
    undeclared = sorted((name, where) for name, where in read
                        if not hasattr(declared, name) and not hasattr(global_settings, name))
    assert undeclared == []


# --- e-mail and Celery options from the environment -------------------------------------

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def test_an_operator_captures_mail_to_files_with_two_variables(tmp_path):
    result = _production("sendtestemail", "famille@example.org", EMAIL_BACKEND=FILE_BACKEND,
                         EMAIL_FILE_PATH=str(tmp_path), EMAIL_HOST="smtp.example.org")
    assert result.returncode == 0, result.stderr
    [written] = tmp_path.iterdir()
    assert "To: famille@example.org" in written.read_text()


def test_the_file_backend_without_a_folder_stops_the_process():
    result = _production("check", EMAIL_BACKEND=FILE_BACKEND)
    assert result.returncode != 0
    assert "EMAIL_FILE_PATH must name a folder" in result.stderr


def _celery_conf(**env):
    code = ("from portal.celery import app; c = app.conf; "
            "print(c.task_acks_late, c.task_reject_on_worker_lost, c.broker_transport_options['visibility_timeout'])")
    result = _production("shell", "--no-imports", "-c", code, CELERY_BROKER_URL="redis://127.0.0.1:6379/9", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_a_task_survives_its_worker_dying_and_the_visibility_timeout_is_configurable():
    assert _celery_conf() == ["True", "True", "7200"]
    assert _celery_conf(CELERY_VISIBILITY_TIMEOUT="5400") == ["True", "True", "5400"]
