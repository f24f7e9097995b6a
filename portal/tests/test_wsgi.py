"""The web process's entry point: views loaded and the process's long-lived objects frozen out of
the garbage collector before the first request (portal/wsgi.py says why)."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import gc, json, sys
import portal.wsgi
print(json.dumps({"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects()),
                  "views": "reservations.booking.views" in sys.modules,
                  "holidays": "holidays.countries.france" in sys.modules}))
"""


def test_importing_the_wsgi_application_loads_the_views_and_freezes_what_is_in_memory():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "1", "DATABASE_URL": "",
           "CELERY_BROKER_URL": ""}
    found = json.loads(subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, check=True,
                                      capture_output=True, text=True, timeout=120).stdout.strip().splitlines()[-1])
    assert found["views"] and found["holidays"], found
    # A full collection walks only what is tracked: a small part of what the process holds.
    assert found["frozen"] > 50_000 and found["tracked"] < found["frozen"] // 5, found
