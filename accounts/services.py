"""Writes about logins: profile changes, e-mail confirmation, password recovery, staff group.

No password is ever put in a page or an e-mail: recovery always goes through a
time-limited, single-use link (Django's PasswordResetTokenGenerator).
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .models import Family, User
from .selectors import structure_ids_of_login

EMAIL_CHANGE_SALT = "accounts.email-change"
STAFF_GROUP_NAME = "Personnel des structures"
STAFF_GROUP_APPS = ("portal", "accounts", "billing", "reservations", "notifications")
# Deleting these cannot lose a trace of money or of a family's requests (a child with
# reservations or consumptions is protected by the database).
STAFF_SAFE_DELETE = {
    ("portal", "message"),
    ("accounts", "child"),
    ("billing", "tariffrate"),
    ("reservations", "closure"),
    ("reservations", "enrolment"),
}


def families_language_set(*, user: User, language: str) -> int:
    """Remember the language a parent chose (or logged in with) on each of their families:
    the nightly report is written in it. An unknown language changes nothing."""
    if language not in dict(settings.LANGUAGES):
        return 0
    return Family.objects.filter(users=user).exclude(language=language).update(language=language)


class EmailConfirmationError(Exception):
    """The link is broken, expired, or has been used already."""


def _email_fingerprint(email: str) -> str:
    return salted_hmac(EMAIL_CHANGE_SALT, (email or "").strip().lower()).hexdigest()[:20]


def email_change_request(*, user: User, new_email: str) -> str:
    """E-mail the new address a link; nothing changes until it is followed. Returns the link."""
    new_email = new_email.strip()
    token = signing.dumps(
        {"u": user.pk, "e": new_email, "h": _email_fingerprint(user.email)}, salt=EMAIL_CHANGE_SALT, compress=True
    )
    link = settings.SITE_URL + reverse("accounts:email_confirm", args=[token])
    context = {"user": user, "link": link, "hours": settings.EMAIL_CONFIRMATION_MAX_AGE // 3600}
    send_mail(
        subject=_("Confirmez votre adresse e-mail — Portail Famille"),
        message=render_to_string("accounts/email/email_confirm.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[new_email],
    )
    return link


@transaction.atomic
def email_change_confirm(*, token: str) -> User:
    """Apply a confirmed change to the login and to every family of that login."""
    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=settings.EMAIL_CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise EmailConfirmationError(_("Ce lien a expiré. Demandez un nouveau lien depuis votre profil.")) from exc
    except signing.BadSignature as exc:
        raise EmailConfirmationError(_("Ce lien n'est pas valide. Vérifiez qu'il a été copié en entier.")) from exc
    user = User.objects.select_for_update().filter(pk=data.get("u"), is_active=True).first()
    if user is None or not constant_time_compare(data.get("h", ""), _email_fingerprint(user.email)):
        raise EmailConfirmationError(_("Ce lien a déjà été utilisé ou remplacé par une demande plus récente."))
    user.email = data["e"]
    user.save(update_fields=["email"])
    Family.objects.filter(users=user).update(email=user.email)
    return user


def family_reminders_set(*, family: Family, enabled: bool) -> None:
    """The family's choice about deadline reminders (issue 11), from the profile."""
    Family.objects.filter(pk=family.pk).update(deadline_reminders=enabled)
    family.deadline_reminders = enabled


def security_question_set(*, user: User, question: str, answer: str) -> None:
    user.security_question = question.strip()
    user.set_security_answer(answer)
    user.save(update_fields=["security_question", "security_answer_hash"])


def recovery_user(identifier: str) -> User | None:
    """The active login behind an identifier typed on the recovery page (exact, like login)."""
    return User.objects.filter(username=(identifier or "").strip(), is_active=True).first()


def recovery_addresses(user: User) -> set[str]:
    """Addresses the reset link may be sent to: the login's, and its families' while the login
    reaches one structure only. A login shared by several structures gets it only at its own
    address (confirmed by the parent): each family's address is typed by its structure's staff,
    and one structure's staff must not be able to reset a login that opens another's data."""
    addresses = {user.email}
    if len(structure_ids_of_login(user)) <= 1:
        addresses |= set(Family.objects.filter(users=user).values_list("email", flat=True))
    return {address.strip().lower() for address in addresses if address and address.strip()}


def password_reset_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:reset", args=[uid, default_token_generator.make_token(user)])


def password_reset_link_send(*, user: User, email: str) -> bool:
    """Mail a reset link if the address is one of the account's; same outcome to the caller's page."""
    email = (email or "").strip().lower()
    if not email or email not in recovery_addresses(user):
        return False
    context = {
        "user": user,
        "link": settings.SITE_URL + password_reset_path(user),
        "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    send_mail(
        subject=_("Choisir un nouveau mot de passe — Portail Famille"),
        message=render_to_string("accounts/email/password_reset.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
    )
    return True


@transaction.atomic
def staff_group_sync() -> Group:
    """The group staff users belong to: add/change/view on our apps, delete where it is safe."""
    group, _created = Group.objects.get_or_create(name=STAFF_GROUP_NAME)
    wanted = []
    for permission in Permission.objects.filter(content_type__app_label__in=STAFF_GROUP_APPS).select_related("content_type"):
        action = permission.codename.split("_", 1)[0]
        key = (permission.content_type.app_label, permission.content_type.model)
        if action in {"add", "change", "view"} or (action == "delete" and key in STAFF_SAFE_DELETE):
            wanted.append(permission)
    group.permissions.set(wanted)
    return group


def staff_user_enrol(*, user: User) -> None:
    """A staff member can log into the admin and has the staff group's permissions."""
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.filter(name=STAFF_GROUP_NAME).first() or staff_group_sync())
