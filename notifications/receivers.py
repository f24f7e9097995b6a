"""notifications listens to reservations (which must not import us)."""
from .reports import reports_write


def on_transmission_finished(sender, *, run, now, dry_run, **kwargs) -> dict:
    """Write the night's reports; in a dry run they are written then rolled back with the
    rest, and nothing is queued (on_commit callbacks die with the transaction)."""
    return reports_write(run=run)
