"""Invitations: a parent's login, imported or created by staff, gets a way to choose its password.

No password is ever typed by staff or sent. A family with an e-mail address receives a
single-use link (through the notifications outbox, via accounts.signals.invitation_ready);
a family without one gets a printed letter with its identifier and a one-time activation
code, typed with the identifier on the activation page. Only a login's latest unused
invitation counts: resending or printing again replaces the older ones. Everything expires
after INVITATION_MAX_AGE_DAYS; a login with a usable password is activated, whatever the route.
"""
from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Family, Invitation, User
from .signals import invitation_ready

INVITATION_SALT = "accounts.invitation"
# No 0/O, 1/I/L: the code is read on paper and typed by hand.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


class ActivationError(Exception):
    """The link or the code cannot activate the login; the message is French, for the parent."""


def _max_age() -> datetime.timedelta:
    return datetime.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)


def is_activated(user: User) -> bool:
    return user.has_usable_password()


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(code: str) -> str:
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return f"{cleaned[:5]}-{cleaned[5:]}" if len(cleaned) == CODE_LENGTH else cleaned


def activation_link(invitation: Invitation) -> str:
    token = signing.dumps(invitation.pk, salt=INVITATION_SALT)
    return settings.SITE_URL + reverse("accounts:activate_link", args=[token])


@transaction.atomic
def invitation_send(*, user: User, family: Family, by: User | None = None) -> Invitation | None:
    """Invite a login of the family (None when it is activated already).

    With the family's e-mail address: an e-mail with the link, written into the outbox by
    notifications when this transaction commits. Without: a letter invitation whose code
    is made when staff print it (invitation_letters_prepare).
    """
    if is_activated(user) or not user.is_active:
        return None
    channel = Invitation.Channel.EMAIL if (family.email or "").strip() else Invitation.Channel.LETTER
    invitation = Invitation.objects.create(user=user, family=family, channel=channel, created_by=by)
    if channel == Invitation.Channel.EMAIL:
        invitation_ready.send(sender=Invitation, invitation=invitation, link=activation_link(invitation),
                              days=settings.INVITATION_MAX_AGE_DAYS)
    return invitation


@transaction.atomic
def invitation_letters_prepare(*, pairs: list[tuple[User, Family]], by: User | None = None) -> list[dict]:
    """A fresh one-time code per (login, family) not yet activated, for the printed letters.

    The code is returned once (to be printed) and stored only hashed. Returns
    [{"user", "family", "code"}] in the order given, activated logins left out.
    """
    letters = []
    for user, family in pairs:
        if is_activated(user) or not user.is_active:
            continue
        code = new_code()
        Invitation.objects.create(user=user, family=family, channel=Invitation.Channel.LETTER, created_by=by,
                                  code_hash=make_password(code))
        letters.append({"user": user, "family": family, "code": code})
    return letters


def _latest_open(user_id) -> Invitation | None:
    return (Invitation.objects.filter(user_id=user_id, used_at__isnull=True, created_at__gte=timezone.now() - _max_age())
            .select_related("user", "family__structure").order_by("-created_at", "-id").first())


def invitation_from_link(token: str) -> Invitation:
    """The invitation an e-mailed link opens, or ActivationError (expired, replaced, used)."""
    try:
        invitation_id = signing.loads(token, salt=INVITATION_SALT, max_age=_max_age())
    except signing.SignatureExpired:
        raise ActivationError(_("Ce lien a expiré. Demandez à votre structure de vous envoyer une nouvelle "
                                "invitation.")) from None
    except signing.BadSignature:
        raise ActivationError(_("Ce lien n'est pas valide. Vérifiez qu'il a été copié en entier.")) from None
    invitation = Invitation.objects.select_related("user").filter(pk=invitation_id).first()
    if invitation is None or invitation.used_at is not None or is_activated(invitation.user):
        raise ActivationError(_("Ce lien a déjà servi : votre mot de passe est choisi. Connectez-vous, "
                                "ou utilisez « Le retrouver » si vous l'avez oublié."))
    latest = _latest_open(invitation.user_id)
    if latest is None or latest.pk != invitation.pk:
        raise ActivationError(_("Ce lien a été remplacé par une invitation plus récente : utilisez le dernier e-mail reçu."))
    return invitation


def invitation_from_code(*, identifier: str, code: str) -> Invitation | None:
    """The letter invitation matching an identifier and its code (None: no match, counted as a failure)."""
    user = User.objects.filter(username=(identifier or "").strip(), is_active=True).first()
    if user is None or is_activated(user):
        return None
    latest = _latest_open(user.pk)
    if latest is None or not latest.code_hash or not check_password(normalise_code(code), latest.code_hash):
        return None
    return latest


@transaction.atomic
def invitation_accept(*, invitation: Invitation, password: str) -> User:
    """Set the chosen password, once: the invitation is locked and re-checked first."""
    locked = Invitation.objects.select_for_update().select_related("user").get(pk=invitation.pk)
    user = User.objects.select_for_update().get(pk=locked.user_id)
    if locked.used_at is not None or is_activated(user):
        raise ActivationError(_("Ce lien a déjà servi : votre mot de passe est choisi. Connectez-vous, "
                                "ou utilisez « Le retrouver » si vous l'avez oublié."))
    user.set_password(password)
    user.save(update_fields=["password"])
    locked.used_at = timezone.now()
    locked.save(update_fields=["used_at"])
    return user
