from django.contrib import admin, messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language

from portal.identity import PUBLIC_STRUCTURE_COOKIE
from portal.selectors import public_structure

from . import services, throttle
from .forms import (
    IdentifierAuthenticationForm,
    ProfileEmailForm,
    ProfilePasswordForm,
    ProfileQuestionForm,
    RecoverAnswerForm,
    RecoverEmailForm,
    RecoverIdentifierForm,
    ResetPasswordForm,
)
from .middleware import SESSION_STRUCTURE_KEY
from .models import User
from .selectors import families_of_user

RECOVER_SESSION_KEY = "recover"


def _throttled(request, template, context, seconds):
    context = {**context, "throttle_message": throttle.locked_message(seconds)}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(seconds)
    return response


class LoginView(auth_views.LoginView):
    """Login; failures count per identifier and per IP, then a cool-down (HTTP 429)."""

    template_name = "accounts/login.html"
    authentication_form = IdentifierAuthenticationForm
    redirect_authenticated_user = True

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # "?structure=<slug>" (the link a structure gives its families): its name, logo and
        # contacts on this page, remembered for the next visits (portal.identity).
        structure = public_structure(request)
        if structure is not None and request.GET.get("structure") == structure.slug:
            response.set_cookie(PUBLIC_STRUCTURE_COOKIE, structure.slug, max_age=365 * 24 * 3600, samesite="Lax",
                                secure=request.is_secure(), httponly=True)
        return response

    def post(self, request, *args, **kwargs):
        self.throttle_subjects = throttle.subjects(
            scope=throttle.LOGIN, request=request, identifier=request.POST.get("username", "")
        )
        if seconds := throttle.seconds_locked(self.throttle_subjects):
            return self._locked(seconds)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if seconds := throttle.record_failure(self.throttle_subjects):
            return self._locked(seconds)
        return super().form_invalid(form)

    def form_valid(self, form):
        throttle.reset([item for item in self.throttle_subjects if item.kind == "id"])
        response = super().form_valid(form)
        services.families_language_set(user=form.get_user(), language=translation.get_language())
        return response

    def _locked(self, seconds):
        form = self.get_form_class()(self.request)
        return _throttled(self.request, self.template_name, self.get_context_data(form=form), seconds)


logout_view = auth_views.LogoutView.as_view()


@require_POST
def language_switch(request):
    """The footer's switcher: Django's set_language (cookie, safe redirect), and for a
    logged-in parent the choice kept on their families for the e-mails sent at night."""
    response = set_language(request)
    if request.user.is_authenticated:
        services.families_language_set(user=request.user, language=request.POST.get("language", ""))
    return response


def admin_login(request):
    """The staff login of the admin, with the same throttling as the parents' login."""
    if request.method != "POST":
        return admin.site.login(request)
    subjects = throttle.subjects(scope=throttle.LOGIN, request=request, identifier=request.POST.get("username", ""))
    if seconds := throttle.seconds_locked(subjects):
        return _throttled(request, "accounts/admin_locked.html", {}, seconds)
    response = admin.site.login(request)
    if response.status_code == 302:
        throttle.reset([item for item in subjects if item.kind == "id"])
    elif seconds := throttle.record_failure(subjects):
        return _throttled(request, "accounts/admin_locked.html", {}, seconds)
    return response


@login_required
@require_POST
def switch_structure(request):
    """Change the structure being consulted; only structures of the login's families."""
    try:
        wanted = int(request.POST.get("structure", ""))
    except ValueError:
        wanted = None
    if any(family.structure_id == wanted for family in request.families):
        request.session[SESSION_STRUCTURE_KEY] = wanted
    else:
        messages.error(request, _("Cette structure n'est pas accessible avec votre identifiant."))
    return redirect("portal:home")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """Password, e-mail (after confirmation) and security question; each form on its own."""
    user = request.user
    forms = {
        "password": ProfilePasswordForm(user),
        "email": ProfileEmailForm(user=user),
        "question": ProfileQuestionForm(initial={"question": user.security_question}),
    }
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "password":
            form = ProfilePasswordForm(user, request.POST)
            if form.is_valid():
                form.save()
                update_session_auth_hash(request, form.user)
                messages.success(request, _("Votre mot de passe a été changé."))
                return redirect("accounts:profile")
        elif action == "email":
            form = ProfileEmailForm(request.POST, user=user)
            if form.is_valid():
                services.email_change_request(user=user, new_email=form.cleaned_data["email"])
                messages.success(request, _(
                    "Un lien de confirmation a été envoyé à %(email)s. L'adresse sera changée quand vous l'aurez suivi."
                ) % {"email": form.cleaned_data["email"]})
                return redirect("accounts:profile")
        elif action == "question":
            form = ProfileQuestionForm(request.POST)
            if form.is_valid():
                services.security_question_set(user=user, **form.cleaned_data)
                messages.success(request, _("Votre question secrète a été enregistrée."))
                return redirect("accounts:profile")
        elif action == "reminders" and request.family is not None:
            enabled = request.POST.get("deadline_reminders") == "on"
            services.family_reminders_set(family=request.family, enabled=enabled)
            messages.success(request, _("Vous recevrez un rappel avant les dates limites de réservation.") if enabled
                             else _("Vous ne recevrez plus de rappel avant les dates limites de réservation."))
            return redirect("accounts:profile")
        else:
            messages.error(request, _("Formulaire inconnu : rechargez la page et recommencez."))
            return redirect("accounts:profile")
        forms[action] = form
        status = 400
    return render(request, "accounts/profile.html", {"forms": forms, "families": families_of_user(user)}, status=status)


@require_http_methods(["GET", "POST"])
def email_confirm(request, token):
    """The link mailed to the new address: a button applies the change (mail scanners only GET)."""
    if request.method == "GET":
        return render(request, "accounts/email_confirm.html", {"token": token})
    try:
        user = services.email_change_confirm(token=token)
    except services.EmailConfirmationError as error:
        return render(request, "accounts/email_confirm.html", {"error": str(error)}, status=400)
    return render(request, "accounts/email_confirm.html", {"confirmed_email": user.email})


@require_http_methods(["GET", "POST"])
def recover(request):
    """« Le retrouver », step 1: the identifier. Requests are counted per IP."""
    form = RecoverIdentifierForm(request.POST or None)
    if request.method == "POST":
        subjects = throttle.subjects(scope=throttle.RECOVERY, request=request)
        if seconds := throttle.seconds_locked(subjects):
            return _throttled(request, "accounts/recover.html", {"form": RecoverIdentifierForm()}, seconds)
        if form.is_valid():
            throttle.record_failure(subjects)
            user = services.recovery_user(form.cleaned_data["identifier"])
            request.session[RECOVER_SESSION_KEY] = {
                "identifier": form.cleaned_data["identifier"].strip(),
                "user_id": user.pk if user else None,
            }
            return redirect("accounts:recover_routes")
    return render(request, "accounts/recover.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def recover_routes(request):
    """Step 2: the routes this account has (security question, e-mail) or whom to contact."""
    state = request.session.get(RECOVER_SESSION_KEY)
    if not state:
        return redirect("accounts:recover")
    user = User.objects.filter(pk=state["user_id"], is_active=True).first() if state["user_id"] else None
    has_email = bool(user and services.recovery_addresses(user))
    context = {"identifier": state["identifier"], "recover_user": user, "has_email": has_email}
    if user is None or not (user.has_security_question or has_email):
        context["structures"] = [family.structure for family in families_of_user(user)] if user else []
        return render(request, "accounts/recover_contact.html", context)

    answer_form = RecoverAnswerForm(question=user.security_question)
    email_form = RecoverEmailForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        subjects = throttle.subjects(scope=throttle.ANSWER, request=request, identifier=f"user:{user.pk}")
        if seconds := throttle.seconds_locked(subjects):
            context.update(answer_form=answer_form, email_form=email_form)
            return _throttled(request, "accounts/recover_routes.html", context, seconds)
        if action == "answer" and user.has_security_question:
            answer_form = RecoverAnswerForm(request.POST, question=user.security_question)
            if answer_form.is_valid():
                if user.check_security_answer(answer_form.cleaned_data["answer"]):
                    throttle.reset([item for item in subjects if item.kind == "id"])
                    del request.session[RECOVER_SESSION_KEY]
                    return redirect(services.password_reset_path(user))
                if seconds := throttle.record_failure(subjects):
                    context.update(answer_form=RecoverAnswerForm(question=user.security_question), email_form=email_form)
                    return _throttled(request, "accounts/recover_routes.html", context, seconds)
                answer_form.add_error("answer", _("Cette réponse ne correspond pas. Vérifiez votre saisie."))
        elif action == "email" and has_email:
            email_form = RecoverEmailForm(request.POST)
            if email_form.is_valid():
                # Every request counts, matched or not, so the cool-down reveals nothing.
                throttle.record_failure(subjects)
                services.password_reset_link_send(user=user, email=email_form.cleaned_data["email"])
                del request.session[RECOVER_SESSION_KEY]
                return render(request, "accounts/recover_sent.html", {"email": email_form.cleaned_data["email"]})
        status = 400
    context.update(answer_form=answer_form, email_form=email_form)
    return render(request, "accounts/recover_routes.html", context, status=status)


class PasswordResetView(auth_views.PasswordResetConfirmView):
    """The link from either route: time-limited (PASSWORD_RESET_TIMEOUT), single-use."""

    template_name = "accounts/reset.html"
    form_class = ResetPasswordForm
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form):
        response = super().form_valid(form)
        throttle.reset(throttle.subjects(scope=throttle.LOGIN, request=self.request, identifier=form.user.username)[:1])
        messages.success(self.request, _("Votre nouveau mot de passe est enregistré. Vous pouvez vous connecter."))
        return response

    def render_to_response(self, context, **kwargs):
        if not context.get("validlink"):
            kwargs["status"] = 400
        return super().render_to_response(context, **kwargs)


reset_view = PasswordResetView.as_view()
