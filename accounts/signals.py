"""Signals sent by accounts for the layers above it (notifications) to hook into.

accounts must not import notifications (DESIGN §3): an invitation announces it is ready to
be e-mailed, and notifications.receivers writes it into the outbox.
"""
from django.dispatch import Signal

# Sent by accounts.invitations.invitation_send inside its transaction, for an e-mail
# invitation. Arguments: invitation (Invitation), link (absolute URL to choose a password),
# days (how long the link stays valid). The receiver writes the outbox row and queues it
# on commit: a rolled-back import (its dry run) e-mails nobody.
invitation_ready = Signal()
