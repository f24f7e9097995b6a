"""Signals sent by reservations for the layers above it (notifications) to hook into.

reservations must not import notifications (DESIGN §3): the nightly run announces it
has settled the requests, and whoever wants to tell the families listens; and it asks
them for their part of a night's figures.
"""
from django.dispatch import Signal

# Sent by the serial run (reservations.nightly.run) once it has settled every occurrence and posted
# the consumptions, before the run is marked finished. Arguments: run (TransmissionRun),
# now (aware datetime), dry_run (bool). Receivers write (notifications: the reports).
transmission_finished = Signal()

# Sent when a run's figures are counted (reservations.nightly.figures). Argument: run. A
# receiver returns a dict of figures it counts from its own rows for that run, e.g.
# {"emails_queued": 12, "emails_no_address": 1} from the outbox.
run_counted = Signal()

# Sent by a chunked night (reservations.nightly.finish) once per range of family ids, by the
# worker writing that range or by the watchdog redoing one a dead worker left — instead of
# transmission_finished, which the serial run sends. Arguments: run, family_range (first, last
# family id, both included), first (bool: the run's first range), redo (bool: the watchdog
# redoing it; what the dead worker wrote may be waiting to be sent). Receivers write the reports
# of those families, committing as they go; a range written twice must tell no one twice.
reports_range_due = Signal()
