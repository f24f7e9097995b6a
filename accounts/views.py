from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import IdentifierAuthenticationForm
from .middleware import SESSION_STRUCTURE_KEY


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = IdentifierAuthenticationForm
    redirect_authenticated_user = True


logout_view = auth_views.LogoutView.as_view()


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
