"""The parent's first visit: choose a password from an invitation (e-mailed link or printed code).

Thin views over accounts.invitations. The code page is throttled like the login (per
identifier and per address): a letter's code cannot be guessed by trying.
"""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import invitations, throttle
from .forms import ActivationCodeForm, ActivationPasswordForm


def _throttled(request, context, seconds):
    response = render(request, "accounts/activate_code.html",
                      {**context, "throttle_message": throttle.locked_message(seconds)}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def _done(request):
    messages.success(request, _("Votre mot de passe est enregistré : connectez-vous avec votre identifiant."))
    return redirect("accounts:login")


@require_http_methods(["GET", "POST"])
def activate_link(request, token):
    """The link of the invitation e-mail: choose a password, once."""
    try:
        invitation = invitations.invitation_from_link(token)
    except invitations.ActivationError as error:
        return render(request, "accounts/activate_link.html", {"error": str(error)}, status=400)
    form = ActivationPasswordForm(invitation.user, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                invitations.invitation_accept(invitation=invitation, password=form.cleaned_data["new_password1"])
            except invitations.ActivationError as error:
                return render(request, "accounts/activate_link.html", {"error": str(error)}, status=400)
            return _done(request)
    context = {"form": form, "identifier": invitation.user.username}
    return render(request, "accounts/activate_link.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def activate_code(request):
    """The printed letter: identifier + one-time code, then the password chosen twice."""
    code_form = ActivationCodeForm(request.POST or None)
    password_form = None
    context = {"code_form": code_form, "password_form": ActivationPasswordForm(None)}
    if request.method != "POST":
        return render(request, "accounts/activate_code.html", context)
    subjects = throttle.subjects(scope=throttle.ACTIVATION, request=request, identifier=request.POST.get("identifier", ""))
    if seconds := throttle.seconds_locked(subjects):
        return _throttled(request, {**context, "code_form": ActivationCodeForm()}, seconds)
    if code_form.is_valid():
        invitation = invitations.invitation_from_code(identifier=code_form.cleaned_data["identifier"],
                                                      code=code_form.cleaned_data["code"])
        if invitation is None:
            if seconds := throttle.record_failure(subjects):
                return _throttled(request, {**context, "code_form": ActivationCodeForm()}, seconds)
            code_form.add_error(None, _("Identifiant ou code d'activation incorrect. Vérifiez votre saisie ; "
                                        "si le code ne fonctionne plus, demandez une nouvelle lettre à votre structure."))
        else:
            password_form = ActivationPasswordForm(invitation.user, request.POST)
            if password_form.is_valid():
                throttle.reset([item for item in subjects if item.kind == "id"])
                invitations.invitation_accept(invitation=invitation, password=password_form.cleaned_data["new_password1"])
                return _done(request)
    if password_form is not None:
        context["password_form"] = password_form
    return render(request, "accounts/activate_code.html", context, status=400)
