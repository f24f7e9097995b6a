"""Every 500 is logged with its traceback.

Django logs an exception raised by a view with its traceback, but not one raised while an
error page was being built (a 404 page that fails): that 500 is logged afterwards from the
response alone, with no traceback. The exception is kept on the request when Django signals
it, and a filter of the `django.request` logger (settings.LOGGING) puts it on the record —
so the console, the admins' e-mail and Sentry all get it.
"""
import logging
import sys


def remember_request_exception(sender, request=None, **kwargs):
    """Receiver of got_request_exception: Django sends it from inside its `except` block."""
    if request is not None:
        request._portal_exc_info = sys.exc_info()


class AttachRequestException(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info and getattr(record, "status_code", 0) >= 500:
            exc_info = getattr(getattr(record, "request", None), "_portal_exc_info", None)
            if exc_info and exc_info[0] is not None:
                record.exc_info = exc_info
                record.exc_text = None
        return True
