from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def family_required(view):
    """Parent pages need a login attached to at least one family."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.family is None:
            return render(request, "accounts/no_family.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper
