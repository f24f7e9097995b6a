"""A run killed for real half-way (the process dies), then run again: the work is finished,
no request is answered twice, none is lost, each family gets one report."""
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from accounts.tests.factories import ChildFactory, FamilyFactory, StructureFactory
from billing.models import Consumption
from notifications.models import OutboxEmail, ReportWatermark
from reservations.models import Reservation, ReservationEvent, TransmissionRun
from reservations.nightly.run import transmission_run
from reservations.tests.factories import ActivityFactory
from reservations.tests.transmission_helpers import cancel_request, future_day, night_lock_gone, request, settled

State = Reservation.State
OCCURRENCES = 24
ROOT = Path(settings.BASE_DIR)


def build_world():
    structure = StructureFactory(name="Mairie de CarteVille", slug="carteville")
    activity = ActivityFactory(structure=structure, limited_places=True)
    kids = [ChildFactory(family=FamilyFactory(structure=structure)) for _ in range(6)]
    for number in range(OCCURRENCES):
        day = future_day(activity, places=2, waiting_places=2)
        holder = settled(child=kids[5], occurrence=day)
        if number % 3 == 0:
            cancel_request(holder)
        for order, kid in enumerate(kids[:5]):
            request(child=kid, occurrence=day, order=order)
    # A past day to post, so the rerun's consumption step runs too.
    past = future_day(activity, date=timezone.localdate() - timezone.timedelta(days=1))
    settled(child=kids[0], occurrence=past)
    return structure


def transmit_in_subprocess(where: str) -> subprocess.CompletedProcess:
    """``manage.py transmit`` in another process that dies for real once 7 days are committed
    (see transmit_and_die.py: the test replaces the night's checkpoint seam there)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test", "DEBUG": "1",
           "DATABASE_URL": database_url(), "CELERY_BROKER_URL": ""}
    return subprocess.run([sys.executable, "-m", "reservations.tests.nightly.transmit_and_die", where, "7",
                           "--structure", "carteville", "--per-transaction", "3"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def answered_once():
    answers = Counter(ReservationEvent.objects.filter(run__isnull=False, from_state=State.NOT_TRANSMITTED)
                      .values_list("reservation_id", flat=True))
    return answers


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("where, code", [("between", 3), ("inside", 4)], ids=["between-days", "inside-a-transaction"])
def test_killed_run_then_rerun_finishes_with_every_request_answered_once(where, code):
    structure = build_world()
    requests = set(Reservation.objects.filter(state=State.NOT_TRANSMITTED).values_list("pk", flat=True))

    killed = transmit_in_subprocess(where)

    assert killed.returncode == code, killed.stderr
    dead = TransmissionRun.objects.get()
    assert dead.status == TransmissionRun.Status.RUNNING and dead.finished_at is None
    done = set(answered_once())
    # Three days per transaction: nine days committed, the next three rolled back or not started.
    assert len(done) == 9 * 5
    assert Reservation.objects.filter(state=State.NOT_TRANSMITTED).count() == len(requests) - len(done)
    assert not OutboxEmail.objects.exists() and not Consumption.objects.exists()

    night_lock_gone(structure.pk)   # the killed process's session ends a moment after it
    rerun = transmission_run(structure=structure, now=timezone.now())

    dead.refresh_from_db()
    assert dead.status == TransmissionRun.Status.FAILED and rerun.status == TransmissionRun.Status.FINISHED
    answers = answered_once()
    assert set(answers) == requests and set(answers.values()) == {1}
    # No reservation changed twice in one run, none left untransmitted, no day over capacity.
    assert not ReservationEvent.objects.filter(run__isnull=False).values("run", "reservation").annotate(
        n=Count("pk")).filter(n__gt=1).exists()
    assert not Reservation.objects.filter(state=State.NOT_TRANSMITTED).exists()
    per_day = Counter(Reservation.objects.filter(state=State.ACCEPTED, occurrence__date__gte=timezone.localdate())
                      .values_list("occurrence_id", flat=True))
    assert len(per_day) == OCCURRENCES and max(per_day.values()) == 2
    # Each family with movements gets one report, built from both runs' events.
    assert OutboxEmail.objects.count() == 6
    assert set(OutboxEmail.objects.values_list("run", flat=True)) == {rerun.pk}
    assert set(ReportWatermark.objects.values_list("run", flat=True)) == {rerun.pk}
    assert ReportWatermark.objects.count() == 6
    assert Consumption.objects.count() == 1

    again = transmission_run(structure=structure, now=timezone.now())
    assert again.counts["occurrences"] == 0 and OutboxEmail.objects.count() == 6 and Consumption.objects.count() == 1
