"""Every 500 is logged with its traceback, also one raised while an error page was built."""
import logging

import pytest
from django.test import Client


@pytest.fixture
def failing_site(settings):
    settings.ROOT_URLCONF = "portal.tests.urls_failing"
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("path,exception", [("/en-panne/", ZeroDivisionError), ("/nulle-part/", LookupError)],
                         ids=["view", "404 page"])
def test_a_500_is_logged_with_its_traceback(db, failing_site, caplog, path, exception):
    with caplog.at_level(logging.ERROR, logger="django.request"):
        assert failing_site.get(path).status_code == 500
    records = [r for r in caplog.records if r.name == "django.request" and r.levelno >= logging.ERROR]
    assert records, "no error logged"
    assert all(r.exc_info and r.exc_info[0] is exception for r in records)
    assert "Traceback (most recent call last)" in caplog.text
