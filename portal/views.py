from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .selectors import published_messages


@login_required
def home(request):
    # The current structure is set by the accounts middleware (one family per structure).
    if request.structure is None:
        if request.user.is_staff:
            return redirect("admin:index")
        return render(request, "accounts/no_family.html", status=403)
    return render(request, "portal/home.html", {"messages_list": published_messages(request.structure)})
