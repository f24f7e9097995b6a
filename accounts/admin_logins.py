"""Staff admin of logins: who may see, create and change which login.

Staff see the logins of their structures' families and staff, and the fresh logins nobody
can get into yet (selectors.logins_in_scope). What they may change depends on the structures
the login reaches:
- only theirs: everything but the rights fields kept for superusers;
- also another structure (a parent with families in two structures, staff of several):
  identifier, e-mail, active/staff flags are read-only and the password page is refused —
  the parent changes them from the profile or "Le retrouver", or a superuser does;
- none yet (a fresh login): the e-mail is read-only and the password waits until the login is
  attached to one of their families, so nothing set on it can follow it elsewhere.
Staff create logins without a password: a new login stays fresh until attached.
"""
from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Prefetch
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .admin_invitations import ActivatedFilter, InvitationActionsMixin
from .admin_scope import StructureScopedAdmin, allowed_structure_ids
from .models import Family, User
from .selectors import structure_ids_of_login

# Fields that decide who can get into a login that reaches another structure.
SHARED_LOGIN_LOCKED_FIELDS = ("username", "email", "is_active", "is_staff")


class LoginCreationForm(forms.ModelForm):
    """A parent's login as staff create it: identifier and names, no password yet."""

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name")

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(InvitationActionsMixin, StructureScopedAdmin, BaseUserAdmin):
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Récupération du mot de passe"), {
            "fields": ("security_question",),
            "description": _("La réponse n'est jamais visible : seul le parent peut la changer depuis son profil."),
        }),
    )
    staff_add_fieldsets = (
        (None, {"fields": ("username", "first_name", "last_name"),
                "description": _("Rattachez ensuite l'identifiant à sa famille (fiche de la famille, « Accès au portail ») ; "
                                 "son mot de passe se choisit après, ou le parent le crée avec « Le retrouver » "
                                 "à l'adresse e-mail de la famille.")}),
    )
    list_display = ("username", "last_name", "first_name", "email", "family_list", "has_question", "is_staff", "is_active",
                    "last_login")
    list_filter = (ActivatedFilter, "is_staff", "is_active", "families__structure")
    actions = ["resend_invitation", "print_activation_letters"]
    search_fields = ("username", "first_name", "last_name", "email", "families__payer_name", "families__number")
    # Staff may not grant themselves or anybody else more rights than the staff group gives.
    superuser_only_fields = ("is_superuser", "groups", "user_permissions")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        allowed = allowed_structure_ids(request)
        if allowed is None:
            return queryset.prefetch_related("families")
        # The list shows only the families of the staff member's structures.
        return queryset.prefetch_related(Prefetch("families", queryset=Family.objects.filter(structure__in=allowed)))

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None and not request.user.is_superuser:
            kwargs["form"] = LoginCreationForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        if obj is None:
            return self.staff_add_fieldsets
        return tuple(
            (name, {**options, "fields": tuple(f for f in options["fields"] if f not in self.superuser_only_fields)})
            for name, options in super().get_fieldsets(request, obj)
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser or obj is None:
            return readonly
        readonly = (*readonly, "last_login", "date_joined")
        reached = structure_ids_of_login(obj)
        if not reached:
            return (*readonly, "email")
        if not reached <= set(allowed_structure_ids(request)):
            return (*readonly, *SHARED_LOGIN_LOCKED_FIELDS)
        return readonly

    def password_refusal(self, request, user) -> str | None:
        """Why this staff member may not set this login's password (None: they may)."""
        allowed = allowed_structure_ids(request)
        if allowed is None:
            return None
        reached = structure_ids_of_login(user)
        if not reached:
            return gettext("Cet identifiant n'est rattaché à aucune famille : rattachez-le d'abord à une famille "
                     "de votre structure, vous pourrez ensuite choisir son mot de passe.")
        if not reached <= set(allowed):
            return gettext("Cet identifiant sert aussi dans une autre structure : seul le parent (depuis son « Profil » "
                     "ou « Le retrouver ») ou un superutilisateur peut changer son mot de passe.")
        return None

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        reason = self.password_refusal(request, user) if user is not None else None
        if reason is None:
            return super().user_change_password(request, id, form_url)
        context = {**self.admin_site.each_context(request), "title": _("Mot de passe non modifiable"),
                   "opts": self.opts, "original": user, "reason": reason}
        return TemplateResponse(request, "admin/accounts/user/password_refused.html", context, status=403)

    @admin.display(description=_("familles"))
    def family_list(self, obj):
        return ", ".join(family.number for family in obj.families.all())

    @admin.display(description=_("question secrète"), boolean=True)
    def has_question(self, obj):
        return obj.has_security_question
