"""Middleware of the whole site (the parents' current family lives in accounts.middleware)."""
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
