"""The /health check of the nightly transmission: how long ago each structure's night finished."""
import datetime

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from portal.health import CheckFailed

from ..models import TransmissionRun


def nightly_run_age() -> dict:
    """Per structure that has ever been run, the last finished run and its age in hours; the
    check fails when one is older than HEALTH_NIGHTLY_MAX_AGE_HOURS (or never finished).
    A new installation, where no night has run yet, passes."""
    now = timezone.now()
    limit = datetime.timedelta(hours=settings.HEALTH_NIGHTLY_MAX_AGE_HOURS)
    rows = (TransmissionRun.objects.values("structure__slug")
            .annotate(last=Max("finished_at", filter=Q(status=TransmissionRun.Status.FINISHED))).order_by("structure__slug"))
    structures, late = {}, []
    for row in rows:
        last = row["last"]
        age = None if last is None else round((now - last).total_seconds() / 3600, 1)
        structures[row["structure__slug"]] = {"last_finished": last.isoformat() if last else None, "age_hours": age}
        if last is None or now - last > limit:
            late.append(row["structure__slug"])
    details = {"max_age_hours": settings.HEALTH_NIGHTLY_MAX_AGE_HOURS, "structures": structures}
    if late:
        raise CheckFailed({**details, "late": late})
    return details
