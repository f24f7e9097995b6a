"""A second factor (TOTP, django-otp) for staff and superusers.

Who must use it: a staff member of a structure that requires it (Structure.staff_second_factor_required),
a superuser when SUPERUSER_SECOND_FACTOR_REQUIRED is on, and anyone who enrolled a device
(once enrolled it is always asked: otherwise the parents' login page, which opens the same
session, would skip it). Others may enrol from the admin's "Deuxième facteur" page.

The admin login form asks for the code when the login has a device; a session opened without
it (e.g. from the parents' login page) is sent to the verification page before any admin page
(accounts.middleware.SecondFactorMiddleware).
"""
from __future__ import annotations

import django_otp
from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import StaffMembership, User

DEVICE_NAME = "Application d'authentification"


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def second_factor_required(user: User) -> bool:
    """Whether this staff login must pass a second factor before the admin."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser and settings.SUPERUSER_SECOND_FACTOR_REQUIRED:
        return True
    if StaffMembership.objects.filter(user=user, structure__staff_second_factor_required=True).exists():
        return True
    return confirmed_device(user) is not None


def device_for_enrolment(user: User) -> TOTPDevice:
    """The device being enrolled: its secret is shown (QR code) until a first code confirms it."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("id").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def token_verify(*, user: User, device: TOTPDevice, token: str) -> bool:
    """Check a code against the device (django-otp: the device row is locked, a code is
    accepted once, repeated failures slow down); a first good code confirms an enrolment."""
    token = "".join(ch for ch in (token or "") if ch.isdigit())
    if not token or django_otp.verify_token(user, device.persistent_id, token) is None:
        return False
    if not device.confirmed:
        with transaction.atomic():
            TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
            # One device per login: an older enrolment left half-way is dropped.
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
    return True


def session_verify(request, device: TOTPDevice) -> None:
    """The session passed the second factor (django-otp keeps it in the session)."""
    django_otp.login(request, device)
