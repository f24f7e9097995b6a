from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .health import CHECKS, health_report
from .home import home_sections
from .selectors import published_messages


@login_required
def home(request):
    # The current structure is set by the accounts middleware (one family per structure).
    if request.structure is None:
        if request.user.is_staff:
            return redirect("admin:index")
        return render(request, "accounts/no_family.html", status=403)
    sections = [render_to_string(section.template, section.context, request=request)
                for section in home_sections(family=request.family, now=timezone.now())] if request.family else []
    return render(request, "portal/home.html", {"messages_list": published_messages(request.structure),
                                                "sections": sections})


@never_cache
@require_safe
def health(request):
    """For the load balancer and the monitoring (portal/health.py): 200 healthy, 503 otherwise."""
    only = {name.strip() for name in request.GET.get("only", "").split(",") if name.strip()} or None
    if only is not None and not only <= set(CHECKS):
        return JsonResponse({"error": _("Vérifications inconnues : %(names)s") % {"names": ", ".join(sorted(only - set(CHECKS)))},
                             "checks": sorted(CHECKS)}, status=400)
    healthy, checks = health_report(only)
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)
