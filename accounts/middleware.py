"""Attach the current family and structure to every request of a logged-in parent.

A login may belong to families in several structures; the one being consulted is
kept in the session and changed with the header's switcher.
"""
from .selectors import families_of_user

SESSION_STRUCTURE_KEY = "current_structure_id"


class CurrentFamilyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.families = []
        request.family = None
        request.structure = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(("/admin/", "/static/")):
            request.families = families_of_user(user)
            wanted = request.session.get(SESSION_STRUCTURE_KEY)
            chosen = next((f for f in request.families if f.structure_id == wanted), None)
            if chosen is None and request.families:
                chosen = request.families[0]
            if chosen is not None:
                request.family = chosen
                request.structure = chosen.structure
        return self.get_response(request)
