"""/health: 200 when every part answers, 503 with the failing part named otherwise."""
import datetime
import os

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import StructureFactory
from reservations.models import TransmissionRun

NOW = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC)
BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


def _finished_run(structure, hours_ago):
    run = TransmissionRun.objects.create(structure=structure, status=TransmissionRun.Status.FINISHED)
    TransmissionRun.objects.filter(pk=run.pk).update(finished_at=NOW - datetime.timedelta(hours=hours_ago))


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_healthy_installation_answers_200_cheaply_without_session(client, db, frozen, django_assert_max_num_queries):
    _finished_run(StructureFactory(slug="carteville"), hours_ago=7)
    with django_assert_max_num_queries(2):  # SELECT 1, and the runs grouped per structure
        response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name for name, check in body["checks"].items() if check["ok"]} == {"database", "cache", "broker", "nightly"}
    assert body["checks"]["broker"]["configured"] is False  # no broker in the tests: tasks run in-process
    assert body["checks"]["nightly"]["structures"]["carteville"]["age_hours"] == 7.0
    assert not response.cookies and "no-cache" in response["Cache-Control"]


def test_a_reachable_broker_is_checked(client, db, settings):
    settings.CELERY_BROKER_URL = BROKER
    broker = client.get("/health").json()["checks"]["broker"]
    assert broker["ok"] and broker["configured"]


def test_an_unreachable_broker_makes_it_503_and_names_the_part(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/health")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert not checks["broker"]["ok"] and "error" in checks["broker"]
    assert checks["database"]["ok"] and checks["cache"]["ok"]


def test_a_night_that_did_not_finish_in_time_makes_it_503(client, db, frozen, settings):
    settings.HEALTH_NIGHTLY_MAX_AGE_HOURS = 26
    _finished_run(StructureFactory(slug="carteville"), hours_ago=3)
    _finished_run(StructureFactory(slug="cambianes"), hours_ago=30)
    TransmissionRun.objects.create(structure=StructureFactory(slug="neuve"), status=TransmissionRun.Status.FAILED)
    response = client.get("/health")
    assert response.status_code == 503
    nightly = response.json()["checks"]["nightly"]
    assert nightly["late"] == ["cambianes", "neuve"]
    assert nightly["structures"]["neuve"] == {"last_finished": None, "age_hours": None}


def test_a_load_balancer_can_ask_for_some_checks_only(client, db, frozen, settings):
    _finished_run(StructureFactory(slug="cambianes"), hours_ago=30)
    response = client.get("/health", {"only": "database,cache"})
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "cache"}
    assert client.get("/health", {"only": "nope"}).status_code == 400


def test_health_is_not_redirected_to_https_nor_throttled(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    for _ in range(30):
        assert client.get("/health").status_code == 200
    assert client.get(reverse("portal:home")).status_code == 301  # the rest of the site is redirected
