"""Error reports reach the operator: by e-mail to ADMINS, or to Sentry when SENTRY_DSN is set."""
import pytest
from django.core import mail
from django.test import Client

from portal.tests.test_settings import _printed_setting, _production


def test_admins_come_from_the_environment():
    printed = _printed_setting("ADMINS", ADMINS="Ops <ops@example.org>, jeanne.martin@example.org")
    assert printed == "[('Ops', 'ops@example.org'), ('', 'jeanne.martin@example.org')]"
    assert _printed_setting("ADMINS") == "[]"


def test_admins_that_are_not_addresses_stop_the_process():
    result = _production("check", ADMINS="l'équipe technique")
    assert result.returncode != 0 and "ADMINS must be e-mail addresses" in result.stderr


@pytest.mark.parametrize("path,exception", [("/en-panne/", "ZeroDivisionError"), ("/nulle-part/", "LookupError")],
                         ids=["view", "404 page"])
def test_a_500_is_mailed_to_the_admins_with_its_traceback(db, settings, path, exception):
    settings.ROOT_URLCONF = "portal.tests.urls_failing"
    settings.ADMINS = [("Ops", "ops@example.org")]
    assert Client(raise_request_exception=False).get(path).status_code == 500
    [report] = mail.outbox
    assert report.to == ["ops@example.org"]
    assert "Traceback (most recent call last)" in report.body and exception in report.body


def test_sentry_is_set_up_with_django_and_celery_and_no_personal_data():
    result = _production("shell", "--no-imports", "-c", "import sentry_sdk; client = sentry_sdk.get_client(); "
                         "print(client.is_active(), client.options['send_default_pii'], sorted(client.integrations))",
                         SENTRY_DSN="https://public@127.0.0.1:9/1")
    assert result.returncode == 0, result.stderr
    active, pii, integrations = result.stdout.strip().split(" ", 2)
    assert (active, pii) == ("True", "False")
    assert "'celery'" in integrations and "'django'" in integrations


def test_without_a_dsn_sentry_stays_off():
    result = _production("shell", "--no-imports", "-c", "import sentry_sdk; print(sentry_sdk.get_client().is_active())")
    assert result.stdout.strip() == "False"
