"""A mail "server" for tests with real worker processes: each accepted message becomes its own
file in EMAIL_FILE_PATH (a folder), named uniquely.

Django's file backend names its file after the second and the backend object's id(); two
messages sent in the same second by backends that reuse a freed id land in one file, so
counting or parsing files one per message was flaky. Here one file is exactly one message."""
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class MaildirBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(settings.EMAIL_FILE_PATH)
        for message in email_messages:
            (folder / f"{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        return len(email_messages)
