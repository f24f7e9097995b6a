from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


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
