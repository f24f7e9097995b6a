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


class RefusingSomeBackend(BaseEmailBackend):
    """A server that refuses the messages to one address (refuse@…) and takes the others."""

    def send_messages(self, email_messages):
        if any(address.startswith("refuse@") for message in email_messages for address in message.to):
            raise smtplib.SMTPRecipientsRefused({"refuse@example.org": (550, b"No such user")})
        from django.core import mail

        mail.outbox.extend(email_messages)
        return len(email_messages)
