"""Signals sent by reservations for the layers above it (notifications) to hook into.

reservations must not import notifications (DESIGN §3): the nightly run announces it
has settled the requests, and whoever wants to tell the families listens; and it asks
them for their part of a night's figures.
"""
from django.dispatch import Signal

# Sent by reservations.nightly.run once a run has settled every occurrence and posted
# the consumptions, before the run is marked finished. Arguments: run (TransmissionRun),
# now (aware datetime), dry_run (bool). Receivers write (notifications: the reports).
transmission_finished = Signal()

# Sent when a run's figures are counted (reservations.nightly.figures). Argument: run. A
# receiver returns a dict of figures it counts from its own rows for that run, e.g.
# {"emails_queued": 12, "emails_no_address": 1} from the outbox.
run_counted = Signal()
