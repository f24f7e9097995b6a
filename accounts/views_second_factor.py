"""The admin's "Deuxième facteur" page: enrol an authenticator application, or type its code.

Reached from the admin's header, or sent there by SecondFactorMiddleware when the session has
not passed the second factor it needs. Codes are throttled like the login (per login, per address)
on top of django-otp's own slow-down.
"""
import base64

import segno
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from . import throttle
from .forms import SecondFactorForm
from .second_factor import confirmed_device, device_for_enrolment, second_factor_required, session_verify, token_verify


def _next(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return wanted
    return "/admin/"


def second_factor(request):
    user = request.user
    device = confirmed_device(user)
    enrolling = device is None
    if enrolling:
        device = device_for_enrolment(user)
    form = SecondFactorForm(request.POST or None)
    context = {**admin.site.each_context(request), "title": _("Deuxième facteur"), "form": form, "enrolling": enrolling,
               "required": second_factor_required(user),
               "verified": user.is_verified(), "next": _next(request)}
    if enrolling:
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
        context["secret"] = base64.b32encode(device.bin_key).decode()
    status = 200
    if request.method == "POST":
        subjects = throttle.subjects(scope=throttle.SECOND_FACTOR, request=request, identifier=f"user:{user.pk}")
        if seconds := throttle.seconds_locked(subjects):
            context["throttle_message"] = throttle.locked_message(seconds)
            return TemplateResponse(request, "admin/accounts/second_factor.html", context, status=429)
        if form.is_valid() and token_verify(user=user, device=device, token=form.cleaned_data["token"]):
            throttle.reset([item for item in subjects if item.kind == "id"])
            session_verify(request, device)
            messages.success(request, _("Deuxième facteur activé.") if enrolling else _("Code accepté."))
            return redirect(_next(request))
        if seconds := throttle.record_failure(subjects):
            context["throttle_message"] = throttle.locked_message(seconds)
            return TemplateResponse(request, "admin/accounts/second_factor.html", context, status=429)
        form.add_error("token", _("Code incorrect : saisissez les 6 chiffres affichés maintenant par l'application."))
        status = 400
    return TemplateResponse(request, "admin/accounts/second_factor.html", context, status=status)
