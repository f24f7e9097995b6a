"""/health: can this installation serve? For the load balancer and the monitoring.

One JSON entry per check, 200 when every check passes, 503 when one fails. Each check is
cheap (a query, a cache round trip, a broker connection, a grouped query) and the view uses
no session, CSRF token, login or throttling. Apps above portal add their own checks with
`register` from their AppConfig.ready() (reservations adds the nightly run's age), so portal
imports none of them. `?only=database,cache` limits the checks, e.g. for a load balancer
that should not take the site out because last night's run is late.
"""
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection

Check = Callable[[], dict]
CHECKS: dict[str, Check] = {}


class CheckFailed(Exception):
    """A check that ran but found the part unhealthy; its details go into the answer."""

    def __init__(self, details: dict):
        super().__init__(details)
        self.details = details


def register(name: str, check: Check) -> None:
    CHECKS[name] = check


def database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {}


def cache_round_trip() -> dict:
    key, token = "health-check", uuid.uuid4().hex
    cache.set(key, token, timeout=10)
    if cache.get(key) != token:
        raise CheckFailed({"error": "the value written was not read back"})
    return {}


def broker() -> dict:
    if not settings.CELERY_BROKER_URL:
        return {"configured": False}  # tasks run inside the web process: nothing to reach
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=settings.HEALTH_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_TIMEOUT_SECONDS)
    return {"configured": True}


register("database", database)
register("cache", cache_round_trip)
register("broker", broker)


def health_report(only: set[str] | None = None) -> tuple[bool, dict]:
    """Run the checks (all, or those named in `only`); (all passed, {name: result})."""
    results = {}
    for name, check in CHECKS.items():
        if only is not None and name not in only:
            continue
        started = time.monotonic()
        try:
            result = {"ok": True, **check()}
        except CheckFailed as failed:
            result = {"ok": False, **failed.details}
        except Exception as exc:  # a part that is down raises whatever its client raises
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        result["ms"] = round((time.monotonic() - started) * 1000, 1)
        results[name] = result
    return all(result["ok"] for result in results.values()), results
