"""Attach the current family and structure to every request of a logged-in parent.

A login may belong to families in several structures; the one being consulted is
kept in the session and changed with the header's switcher.
"""
from .selectors import families_of_user

SESSION_STRUCTURE_KEY = "current_structure_id"
# Paths that need no family. Of them, the structure's identity (/identite/: theme, logo, icons, manifest,
# the same for everyone, cached a day by the browser) must not even read the session: a read
# makes the response vary on the cookie, and Chromium then fetched the icon again on each page.
FAMILYLESS_PATHS = ("/admin/", "/static/", "/identite/")


class CurrentFamilyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.families = []
        request.family = None
        request.structure = None
        user = getattr(request, "user", None)
        if not request.path.startswith(FAMILYLESS_PATHS) and user is not None and user.is_authenticated:
            request.families = families_of_user(user)
            wanted = request.session.get(SESSION_STRUCTURE_KEY)
            chosen = next((f for f in request.families if f.structure_id == wanted), None)
            if chosen is None and request.families:
                chosen = request.families[0]
            if chosen is not None:
                request.family = chosen
                request.structure = chosen.structure
        return self.get_response(request)


class SecondFactorMiddleware:
    """Before any admin page, a staff login that must use its second factor has used it.

    A session opened without the code (the parents' login page opens the same session, or an
    enrolment became required since) is sent to the second-factor page: to type the code of
    its device, or to enrol one. The login, logout and second-factor pages themselves pass.
    """

    OPEN_PATHS = ("/admin/login/", "/admin/logout/", "/admin/deuxieme-facteur/", "/admin/jsi18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.shortcuts import redirect

        from .second_factor import second_factor_required

        user = getattr(request, "user", None)
        if (request.path.startswith("/admin/") and not request.path.startswith(self.OPEN_PATHS)
                and user is not None and user.is_authenticated and user.is_staff
                and not user.is_verified() and second_factor_required(user)):
            return redirect(f"/admin/deuxieme-facteur/?next={request.path}")
        return self.get_response(request)
