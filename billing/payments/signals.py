"""Signals billing.payments sends for the layers above it (notifications) to hook into.

billing must not import notifications (DESIGN §3): a payment received online announces
itself, and notifications.receivers writes the receipt e-mail into the outbox.
"""
from django.dispatch import Signal

# Sent inside the transaction that records the ledger Payment of a paid attempt (so the
# outbox row commits with it, or not at all). Arguments: attempt (PaymentAttempt), payment
# (billing Payment).
online_payment_received = Signal()
