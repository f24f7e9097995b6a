"""notifications listens to reservations (which must not import us)."""
from django.conf import settings

from .reports import reports_write
from .selectors import outbox_run_figures
from .tasks import outbox_queue_due_on_commit


def on_transmission_finished(sender, *, run, now, dry_run, **kwargs) -> None:
    """Write the night's reports, then send whatever earlier runs left unsent in the
    structure's outbox (a killed run's reports, a row a dead worker left "sending"): a rerun,
    or ``manage.py transmit`` without a broker, delivers everything pending. In a dry run the
    reports are written then rolled back with the rest, and nothing is sent."""
    reports_write(run=run)
    if not dry_run and settings.OUTBOX_AUTO_SEND:
        outbox_queue_due_on_commit(structure_id=run.structure_id, exclude_run_id=run.pk)


def on_run_counted(sender, *, run, **kwargs) -> dict[str, int]:
    """The night's e-mail figures, counted from the outbox rows it wrote."""
    return outbox_run_figures(run_id=run.pk)

