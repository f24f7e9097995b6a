from crispy_forms.helper import FormHelper
from crispy_forms.layout import Hidden, Submit
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from .models import normalise_answer


class IdentifierAuthenticationForm(AuthenticationForm):
    """Login with the identifier the structure gave; one message whatever went wrong."""

    error_messages = {
        "invalid_login": _(
            "Identifiant ou mot de passe incorrect. Vérifiez votre saisie (majuscules comprises) ; "
            "en cas d'oubli, utilisez « Le retrouver »."
        ),
        "inactive": _(
            "Identifiant ou mot de passe incorrect. Vérifiez votre saisie (majuscules comprises) ; "
            "en cas d'oubli, utilisez « Le retrouver »."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Identifiant")
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].label = _("Mot de passe")


class ProfilePasswordForm(PasswordChangeForm):
    """Old password, then the new one twice; Django's validators apply."""

    action = "password"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Mot de passe actuel")
        self.fields["old_password"].widget.attrs.pop("autofocus", None)  # not the first form of the page
        self.fields["new_password1"].label = _("Nouveau mot de passe")
        self.fields["new_password2"].label = _("Nouveau mot de passe (confirmation)")
        self.helper = _helper(self.action, _("Changer le mot de passe"))


class ProfileEmailForm(forms.Form):
    action = "email"

    email = forms.EmailField(label=_("Nouvelle adresse e-mail"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.helper = _helper(self.action, _("Envoyer le lien de confirmation"))

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if email.lower() == (self.user.email or "").lower():
            raise forms.ValidationError(_("C'est déjà l'adresse enregistrée pour votre compte."))
        return email


class ProfileQuestionForm(forms.Form):
    action = "question"

    question = forms.CharField(label=_("Question secrète"), max_length=200,
                               help_text=_("Par exemple : « Nom de mon premier animal ? »"))
    answer = forms.CharField(label=_("Réponse"), max_length=200,
                             help_text=_("Les majuscules, les accents et les espaces autour ne comptent pas."),
                             widget=forms.PasswordInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(self.action, _("Enregistrer la question"))

    def clean_answer(self):
        answer = self.cleaned_data["answer"]
        if len(normalise_answer(answer)) < 2:
            raise forms.ValidationError(_("La réponse doit comporter au moins deux caractères."))
        return answer


class RecoverIdentifierForm(forms.Form):
    identifier = forms.CharField(label=_("Identifiant"), max_length=150,
                                 widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(None, _("Continuer"))


class RecoverAnswerForm(forms.Form):
    """Rendered with |crispy inside the routes page's own form tags (two routes, one page)."""

    answer = forms.CharField(label=_("Votre réponse"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, question="", **kwargs):
        super().__init__(*args, **kwargs)
        if question:
            self.fields["answer"].help_text = _("Question : %(question)s") % {"question": question}


class RecoverEmailForm(forms.Form):
    email = forms.EmailField(label=_("Votre adresse e-mail"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class ResetPasswordForm(SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("Nouveau mot de passe")
        self.fields["new_password2"].label = _("Nouveau mot de passe (confirmation)")
        self.helper = _helper(None, _("Enregistrer le nouveau mot de passe"))


class ActivationCodeForm(forms.Form):
    """The printed letter's identifier and one-time code; the password fields follow on the page."""

    identifier = forms.CharField(label=_("Identifiant"), max_length=150,
                                 widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}))
    code = forms.CharField(label=_("Code d'activation"), max_length=30,
                           help_text=_("Le code imprimé sur la lettre de votre structure, par exemple ABCDE-23456."),
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}))


class ActivationPasswordForm(SetPasswordForm):
    """The password chosen when activating a login (Django's validators apply)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("Mot de passe choisi")
        self.fields["new_password2"].label = _("Mot de passe choisi (confirmation)")


class StaffLoginForm(AdminAuthenticationForm):
    """The admin login: identifier, password, and the code of the authenticator application
    when the login has one (accounts.second_factor); the code is checked after the password."""

    otp_token = forms.CharField(
        label=_("Code de vérification"), required=False, max_length=12,
        help_text=_("Les 6 chiffres de votre application d'authentification, si vous en utilisez une."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "otp": _("Code de vérification manquant ou incorrect : saisissez les 6 chiffres affichés par votre application."),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        from .second_factor import confirmed_device, token_verify

        device = confirmed_device(user)
        if device is None:
            return
        if not token_verify(user=user, device=device, token=self.cleaned_data.get("otp_token", "")):
            raise forms.ValidationError(self.error_messages["otp"], code="otp")
        user.otp_device = device  # django-otp stores it in the session at login


class SecondFactorForm(forms.Form):
    token = forms.CharField(label=_("Code de vérification"), max_length=12,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                          "autofocus": True}))


def _helper(action, label) -> FormHelper:
    """Crispy layout: the form tag with CSRF, a hidden action name and one submit button."""
    helper = FormHelper()
    helper.form_method = "post"
    if action:
        helper.form_id = f"form-{action}"
        helper.inputs.append(Hidden("action", action))
    # One page holds several forms: each submit button needs its own id.
    helper.inputs.append(Submit(f"submit-{action}" if action else "submit", label))
    return helper
