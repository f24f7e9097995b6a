"""Writes of online payment: start an attempt, and record what a provider answered, once.

Recording happens under a row lock on the attempt (``select_for_update``): the provider's
notification, its resends and the browser's return may arrive together, and whichever comes
second finds the attempt already final and changes nothing. A paid attempt becomes exactly
one ledger Payment (mode Internet, the authorisation number as piece number); the unique
(provider, bank reference) of attempts and the Payment's ``source_key`` hold even if two
attempts were told about the same money. A result that is unsigned, or whose amount or
currency differ from the attempt's, writes no line and flags the attempt for staff.
"""
from __future__ import annotations

import datetime
import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.ledger.services import payment_record
from billing.models import Payment, Wallet
from billing.money import format_money, round_money
from portal import dates

from . import selectors
from .models import AttemptAllocation, AttemptEvent, PaymentAttempt, ProviderConfig
from .providers import (
    ProviderResponseError,
    ProviderResult,
    ProviderUnavailable,
    Redirect,
    check_allowed,
    provider_request,
    provider_status,
)
from .signals import online_payment_received

logger = logging.getLogger(__name__)
State = PaymentAttempt.State
Source = AttemptEvent.Source


class Outcome(Enum):
    RECORDED = "recorded"          # the attempt reached a final state now
    ALREADY_DONE = "already_done"  # a resend: the attempt was already in that state
    WAITING = "waiting"            # the provider has no final answer yet
    BAD_SIGNATURE = "bad_signature"
    MISMATCH = "mismatch"          # amount, currency or reference disagree: flagged, nothing written
    CONFLICT = "conflict"          # a final attempt told something else: flagged


@dataclass(frozen=True)
class Started:
    attempt: PaymentAttempt
    redirect: Redirect


def _config_or_error(structure) -> ProviderConfig:
    config = selectors.active_provider(structure=structure)
    if config is None:
        raise ValidationError(_("Le paiement en ligne n'est pas proposé par votre structure."))
    try:
        check_allowed(config)
    except ProviderUnavailable as error:
        raise ValidationError(str(error)) from error
    return config


def _amount_for(*, family, wallet: Wallet, purpose: str, amount: Decimal | None, config: ProviderConfig) -> Decimal:
    """The amount of the attempt, decided here: what is owed, or a top-up within the bounds."""
    if purpose == PaymentAttempt.Purpose.DUE:
        owed = selectors.amount_owed(family=family, wallet=wallet)
        if owed <= 0:
            raise ValidationError(_("Vous ne devez rien sur ce porte-monnaie."))
        return owed
    if amount is None:
        raise ValidationError(_("Indiquez un montant."))
    amount = round_money(amount)
    if purpose == PaymentAttempt.Purpose.TOPUP:
        if not wallet.is_prepaid:
            raise ValidationError(_("Ce porte-monnaie est réglé sur facture : il ne se recharge pas."))
        if not (config.topup_min <= amount <= config.topup_max):
            raise ValidationError(_("Le montant d'une recharge doit être compris entre %(min)s et %(max)s.")
                                  % {"min": format_money(config.topup_min), "max": format_money(config.topup_max)})
    elif amount <= 0:
        raise ValidationError(_("Le montant doit être positif."))
    return amount


def _event(attempt: PaymentAttempt, *, source: str, from_state: str, note: str = "", data: dict | None = None) -> None:
    AttemptEvent.objects.create(attempt=attempt, source=source, from_state=from_state, to_state=attempt.state,
                                note=note[:300], data=data or {})


def _plan_checked(*, wallet: Wallet, value: Decimal, purpose: str, allocations, structure_id: int) -> list:
    """The attempt's planned split [(wallet, part)]: the whole amount to ``wallet`` unless an
    invoice's caller gives one per wallet. Computed by the server, so a split that does not add
    up to the amount is a bug (ValueError), never the parent's doing."""
    if not allocations:
        return [(wallet, value)]
    if purpose != PaymentAttempt.Purpose.INVOICE:
        raise ValueError("only an invoice's payment is split over several wallets")
    parts = [(part_wallet, round_money(part)) for part_wallet, part in allocations]
    wallets = [part_wallet.pk for part_wallet, _part in parts]
    if (sum((part for _w, part in parts), Decimal(0)) != value or any(part <= 0 for _w, part in parts)
            or len(set(wallets)) != len(wallets) or wallet.pk not in wallets
            or any(part_wallet.structure_id != structure_id for part_wallet, _part in parts)):
        raise ValueError(f"planned allocations {parts} do not make {value}")
    return parts


def payment_attempt_start(*, family, wallet: Wallet, purpose: str, amount: Decimal | None = None, label: str = "",
                          email: str = "", invoice=None,
                          allocations: list[tuple[Wallet, Decimal]] | None = None) -> Started:
    """Open an attempt and ask the provider for a transaction; returns where the browser goes.

    The amount comes from the server: for ``due``, what the family owes on the wallet; for a
    ``topup``, the amount the parent chose, within the structure's bounds; for an
    ``invoice`` (billing.invoicing.online), what is left to pay on ``invoice``, computed by
    its caller; the attempt points at the invoice, which its Payment settles first. Its
    caller may split it over the invoice's wallets (``allocations``, adding up to the
    amount, ``wallet`` among them): the plan is written with the attempt and its Payment
    follows it. The attempt is committed before the provider is contacted, so it exists
    whatever the provider does.
    """
    if wallet.structure_id != family.structure_id:
        raise ValidationError(_("Ce porte-monnaie n'appartient pas à la structure de la famille."))
    if (purpose == PaymentAttempt.Purpose.INVOICE) != (invoice is not None):
        raise ValueError("an invoice is paid with the purpose 'invoice', and only an invoice")
    if invoice is not None and invoice.family_id != family.pk:
        raise ValidationError(_("Cette facture n'est pas celle de votre famille."))
    config = _config_or_error(family.structure)
    value = _amount_for(family=family, wallet=wallet, purpose=purpose, amount=amount, config=config)
    plan = _plan_checked(wallet=wallet, value=value, purpose=purpose, allocations=allocations,
                         structure_id=family.structure_id)
    email = (email or family.email or "").strip()
    if config.kind == ProviderConfig.Kind.PAYFIP and not ("@" in email and 6 <= len(email) <= 80):
        raise ValidationError(_("Le paiement par PayFiP demande l'adresse e-mail de la famille : demandez à votre "
                                "structure de l'enregistrer."))
    with transaction.atomic():
        attempt = PaymentAttempt.objects.create(
            reference=secrets.token_hex(10), structure_id=family.structure_id, family=family, wallet=wallet,
            provider_config=config, provider=config.kind, production=config.production, purpose=purpose, invoice=invoice,
            label=label or _("%(wallet)s — famille n° %(number)s") % {"wallet": wallet.name, "number": family.number},
            amount=value,
        )
        AttemptAllocation.objects.bulk_create([AttemptAllocation(attempt=attempt, wallet=part_wallet, amount=part)
                                               for part_wallet, part in plan])
        _event(attempt, source=Source.PARENT, from_state="", note=_("Montant %(amount)s") % {"amount": format_money(value)})
    notify_url = selectors.absolute_url(reverse("billing:online_notification", args=[config.pk]))
    return_url = selectors.absolute_url(reverse("billing:online_return", args=[attempt.reference]))
    try:
        transaction_id, redirect = provider_request(attempt=attempt, notify_url=notify_url, return_url=return_url,
                                                    email=email)
    except ProviderUnavailable as error:
        with transaction.atomic():
            locked = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
            locked.state, locked.finished_at = State.CANCELLED, timezone.now()
            locked.save(update_fields=["state", "finished_at"])
            _event(locked, source=Source.PARENT, from_state=State.CREATED, note=str(error))
        raise ValidationError(str(error)) from error
    with transaction.atomic():
        locked = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.state == State.CREATED:
            locked.state, locked.transaction_id, locked.sent_at = State.SENT, transaction_id, timezone.now()
            locked.save(update_fields=["state", "transaction_id", "sent_at"])
            _event(locked, source=Source.PARENT, from_state=State.CREATED)
    return Started(attempt=locked, redirect=redirect)


def payment_attempt_flag(*, attempt_id: int, source: str, reason: str, data: dict | None = None) -> None:
    """Mark an attempt for staff (what arrived was refused), its state unchanged."""
    with transaction.atomic():
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt_id)
        _flag(attempt, source=source, reason=reason, data=data)


def _flag(attempt: PaymentAttempt, *, source: str, reason: str, data: dict | None = None) -> None:
    stamp = timezone.localtime().strftime("%d/%m/%Y %H:%M")
    attempt.flagged = True
    attempt.flag_reason = (attempt.flag_reason + "\n" if attempt.flag_reason else "") + f"{stamp} {reason}"
    attempt.save(update_fields=["flagged", "flag_reason"])
    _event(attempt, source=source, from_state=attempt.state, note=reason, data=data)
    logger.warning("online payment %s flagged: %s", attempt.reference, reason)


def _paid_payment(attempt: PaymentAttempt, result: ProviderResult, on: datetime.date) -> Payment:
    """The one Payment of a paid attempt, allocated as planned when it started (one wallet, or
    each wallet of an invoice its part: payment_record checks they add up to the amount)."""
    return payment_record(
        family=attempt.family, date=on, mode=Payment.Mode.INTERNET, amount=attempt.amount,
        allocations=attempt.allocation_plan(), piece_number=result.authorisation_number[:60],
        bank_name=_("PAR INTERNET"), source_key=f"online:{attempt.provider}:{result.bank_reference}"[:80],
    )


def payment_attempt_record(*, attempt_id: int, result: ProviderResult, source: str) -> Outcome:
    """Apply a provider's answer to an attempt, at most once. See the module's docstring."""
    data = {key: value for key, value in result.data.items() if key != "signature"}
    with transaction.atomic():
        attempt = PaymentAttempt.objects.select_for_update().select_related("family", "wallet").get(pk=attempt_id)
        if source == Source.POLL:
            attempt.last_polled_at = timezone.now()
            attempt.save(update_fields=["last_polled_at"])
        if not result.signed:
            _flag(attempt, source=source, reason=_("Signature invalide : message refusé."), data=data)
            return Outcome.BAD_SIGNATURE
        if result.state is None:
            return Outcome.WAITING
        late_money = attempt.state == State.EXPIRED and result.state == State.PAID
        if attempt.is_final and not late_money:
            if attempt.state == result.state and (result.state != State.PAID
                                                  or attempt.bank_reference == result.bank_reference):
                return Outcome.ALREADY_DONE
            _flag(attempt, source=source, data=data, reason=_(
                "Réponse « %(new)s » reçue pour un paiement déjà « %(old)s » : rien n'a été modifié.")
                % {"new": State(result.state).label, "old": attempt.get_state_display()})
            return Outcome.CONFLICT
        if result.state == State.PAID:
            problem = _paid_problem(attempt, result)
            if problem:
                _flag(attempt, source=source, reason=problem, data=data)
                return Outcome.MISMATCH
            try:
                with transaction.atomic():
                    payment = _paid_payment(attempt, result, dates.today())
                    attempt.bank_reference = result.bank_reference[:100]
                    attempt.payment = payment
                    attempt.authorisation_number = result.authorisation_number[:60]
                    attempt.save(update_fields=["bank_reference", "payment", "authorisation_number"])
            except IntegrityError:
                _flag(attempt, source=source, data=data, reason=_(
                    "La référence bancaire %(reference)s est déjà celle d'un autre paiement : rien n'a été enregistré.")
                    % {"reference": result.bank_reference})
                return Outcome.MISMATCH
        previous = attempt.state
        attempt.state, attempt.finished_at = result.state, timezone.now()
        attempt.bank_status = result.status_text[:300]
        attempt.save(update_fields=["state", "finished_at", "bank_status"])
        _event(attempt, source=source, from_state=previous, note=result.status_text, data=data)
        if late_money:
            _flag(attempt, source=source, data=data, reason=_(
                "Paiement confirmé par le prestataire après l'expiration : enregistré, à vérifier."))
        if attempt.state == State.PAID:
            online_payment_received.send(sender=PaymentAttempt, attempt=attempt, payment=attempt.payment)
        return Outcome.RECORDED


def _paid_problem(attempt: PaymentAttempt, result: ProviderResult) -> str:
    if result.amount is None or round_money(result.amount) != attempt.amount:
        return _("Montant notifié (%(notified)s) différent de celui du paiement (%(expected)s) : rien n'a été enregistré.") % {
            "notified": format_money(result.amount) if result.amount is not None else "—",
            "expected": format_money(attempt.amount)}
    if (result.currency or "") != attempt.currency:
        return _("Devise notifiée (%(notified)s) différente de celle du paiement (%(expected)s) : rien n'a été enregistré.") % {
            "notified": result.currency or "—", "expected": attempt.currency}
    if not result.bank_reference:
        return _("Paiement notifié sans référence bancaire : rien n'a été enregistré.")
    if result.test != (not attempt.production):
        return _("Paiement notifié dans un autre mode (test / production) que celui du paiement : rien n'a été enregistré.")
    return ""


# --- Attempts without an answer (beat, every few minutes) ---------------------------------

POLL_AFTER = datetime.timedelta(minutes=5)
EXPIRE_AFTER = datetime.timedelta(hours=3)


def payment_attempt_expire(*, attempt_id: int, source: str = Source.POLL, note: str = "") -> bool:
    """An attempt the provider never answered: expired (nothing in the ledger). False if it
    got an answer meanwhile."""
    with transaction.atomic():
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt_id)
        if attempt.is_final:
            return False
        previous = attempt.state
        attempt.state, attempt.finished_at = State.EXPIRED, timezone.now()
        attempt.save(update_fields=["state", "finished_at"])
        _event(attempt, source=source, from_state=previous,
               note=note or _("Sans réponse du prestataire après %(hours)s heures.") % {"hours": 3})
    return True


def payment_attempts_poll(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Re-ask the provider about attempts left without an answer between 5 minutes and 3 hours
    ago (PayFiP's web service; Systempay answers only by notification), then expire those
    older than 3 hours. Safe to run often and twice at once: every write is the locked,
    record-once service."""
    now = now or timezone.now()
    figures = {"asked": 0, "settled": 0, "expired": 0, "errors": 0}
    waiting = (PaymentAttempt.objects.filter(state__in=(State.CREATED, State.SENT), created_at__lte=now - POLL_AFTER)
               .select_related("provider_config").order_by("created_at"))
    for attempt in waiting.iterator(chunk_size=200):
        result = None
        if attempt.state == State.SENT:
            try:
                result = provider_status(attempt=attempt)
            except (ProviderResponseError, ProviderUnavailable) as error:
                figures["errors"] += 1
                logger.warning("online payment %s: asking the provider failed: %s", attempt.reference, error)
        if result is not None:
            figures["asked"] += 1
            if payment_attempt_record(attempt_id=attempt.pk, result=result, source=Source.POLL) == Outcome.RECORDED:
                figures["settled"] += 1
                continue
        if attempt.created_at <= now - EXPIRE_AFTER and payment_attempt_expire(attempt_id=attempt.pk):
            figures["expired"] += 1
    if any(figures.values()):
        logger.info("online payments poll: %s", figures)
    return figures
