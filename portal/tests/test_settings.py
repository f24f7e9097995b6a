"""Production settings refuse to start without secrets, and `check --deploy` is clean.

Each case runs manage.py in a subprocess with a clean environment, as an operator would.
"""
import os
import secrets
import string
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings
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
    assert settings.SESSION_COOKIE_AGE == 3600 and settings.SESSION_SAVE_EVERY_REQUEST
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
