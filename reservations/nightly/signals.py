"""Signals sent by reservations for the layers above it (notifications) to hook into.

reservations must not import notifications (DESIGN §3): the nightly run announces it
has settled the requests, and whoever wants to tell the families listens.
"""
from django.dispatch import Signal

# Sent by reservations.nightly.run once a run has settled every occurrence and posted
# the consumptions, before the run is marked finished. Arguments: run (TransmissionRun),
# now (aware datetime), dry_run (bool). A receiver may return a dict of counts; they are
# added to run.counts (e.g. {"emails_queued": 12, "emails_no_address": 1}).
transmission_finished = Signal()
