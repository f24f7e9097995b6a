"""E-mail backends that fail (configured backends, not mocks): a server refusing every message, a
message no server would take."""
import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class BrokenBackend(BaseEmailBackend):
    """A backend that fails in a way no retry will fix (e.g. a malformed header)."""

    def send_messages(self, email_messages):
        raise ValueError("Header values may not contain linefeed or carriage return characters")
