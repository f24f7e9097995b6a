"""The family's calendar feed: the page where a parent makes or revokes the private address, and
the address itself (no login: a calendar app cannot log in; the token is the key)."""
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import family_required

from .feed import calendar_feed_create, calendar_feed_of, calendar_feed_revoke, feed_ics, feed_of_token_or_404


@require_http_methods(["GET", "POST"])
@family_required
def feed_page(request):
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            calendar_feed_revoke(family=request.family)
            messages.success(request, _("L'ancienne adresse de l'agenda ne fonctionne plus. Vous pouvez en créer une nouvelle."))
        else:
            calendar_feed_create(family=request.family)
            messages.success(request, _("Votre adresse d'agenda est prête : ajoutez-la à l'agenda de votre téléphone."))
        return redirect("reservations:feed")
    feed = calendar_feed_of(family=request.family)
    url = request.build_absolute_uri(reverse("reservations:feed_ics", args=[feed.token])) if feed else ""
    return render(request, "reservations/feed.html", {"feed": feed, "feed_url": url,
                                                      "webcal_url": url.replace("https://", "webcal://", 1)
                                                      .replace("http://", "webcal://", 1)})


@never_cache
@require_GET
def feed_ics_view(request, token):
    feed = feed_of_token_or_404(token)
    response = HttpResponse(feed_ics(feed=feed, host=request.get_host().split(":")[0]),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="reservations.ics"'
    return response
