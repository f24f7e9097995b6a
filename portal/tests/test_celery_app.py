"""A Celery worker's process freezes its long-lived objects out of the garbage collector once it is
ready (portal/celery.py says why): the collector then walks only what the tasks leave behind. The
real workers of the nightly tests start with it (reservations/tests/nightly/test_transmit_fan_out.py)."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import gc, json
import django
django.setup()
from celery import signals
import portal.celery
before = gc.get_freeze_count()
signals.worker_process_init.send(sender=None)   # what the prefork pool sends in each child
print(json.dumps({"before": before, "frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}))
"""


def test_a_workers_process_freezes_what_it_holds():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "1", "DATABASE_URL": "",
           "CELERY_BROKER_URL": "", "PYTHONPATH": str(ROOT)}
    found = json.loads(subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, check=True,
                                      capture_output=True, text=True, timeout=120).stdout.strip().splitlines()[-1])
    assert found["before"] == 0, found
    assert found["frozen"] > 50_000 and found["tracked"] < found["frozen"] // 5, found
