"""A mail "server" that records what it accepts: each message becomes one JSON line appended
to the file EMAIL_FILE_PATH names, flushed and fsynced before send_messages returns. What the
file holds was delivered, even if the process is killed the instant after (the kill tests)."""
import json
import os

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class RecordingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        with open(settings.EMAIL_FILE_PATH, "a", encoding="utf-8") as record:
            for message in email_messages:
                record.write(json.dumps({"message_id": message.message()["Message-ID"], "to": message.to,
                                         "subject": message.subject}) + "\n")
            record.flush()
            os.fsync(record.fileno())
        return len(email_messages)


def deliveries(path) -> list[dict]:
    """What the backend recorded, in order (an empty list when nothing was sent)."""
    try:
        with open(path, encoding="utf-8") as record:
            return [json.loads(line) for line in record if line.strip()]
    except FileNotFoundError:
        return []
