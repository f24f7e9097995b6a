"""Middleware of the whole site (the parents' current family lives in accounts.middleware)."""
import time

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import UnreadablePostError


class RequestBodyCheckMiddleware:
    """Parse a POST body first, before anything else reads it.

    A body Django cannot parse (multipart without a valid boundary, too many fields, too
    big) raises as soon as someone reads request.POST. Raised here, Django answers 400
    (through handler400). Left to later readers it could be read for the first time while
    an error page is built — the 404 page's CSRF check reads it — and that turned a bad
    request to an unknown address into a 500. Django's CSRF check parses every POST body
    anyway, so parsing it here costs nothing more.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST":
            try:
                request.POST  # noqa: B018 (parsed for its side effect: it raises on a bad body)
            except UnreadablePostError as exc:  # the client went away mid-body
                raise BadRequest("Unreadable request body") from exc
        return self.get_response(request)


class SessionRefreshMiddleware:
    """Keep an idle session alive by writing it at most once a minute, not on every request.

    Sessions end SESSION_COOKIE_AGE seconds after their last write (an hour idle for a
    parent). Writing the session on every request (SESSION_SAVE_EVERY_REQUEST) cost each
    page one UPDATE; here a session is written when it changed or when its last refresh is
    older than SESSION_REFRESH_SECONDS, so an idle parent is logged out between an hour and
    an hour minus that. Placed just after SessionMiddleware, whose response step saves.
    """

    KEY = "_refreshed_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only a session the request used: reading it here would make every response, the
        # identity's icons included, vary on the cookie (SessionMiddleware adds Vary: Cookie
        # to any response whose session was read), and the browser fetched them again.
        if session is not None and session.accessed and session.session_key and not session.modified:
            now = int(time.time())
            if now - session.get(self.KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[self.KEY] = now
        return response


def session_refreshed_at_login(sender, request, user, **kwargs) -> None:
    """user_logged_in: a login has just written the session; its first pages need not again."""
    if getattr(request, "session", None) is not None:
        request.session[SessionRefreshMiddleware.KEY] = int(time.time())
