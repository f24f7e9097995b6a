"""Cool-downs after repeated failures (logins, security answers, recovery requests).

Counters live in the cache (Redis in production, so every web process sees them).
A counter counts attempts within THROTTLE_COOLDOWN_SECONDS; when it reaches its
limit a lock key is set for the cool-down and the counter starts again from zero.

Keys are hashed so an identifier typed by anyone never lands in a cache key as is,
and an unknown identifier is counted exactly like a known one: the cool-down never
tells whether an account exists.
"""
from __future__ import annotations

import datetime
import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)

# Scopes: what is being counted.
LOGIN = "login"
ANSWER = "answer"
RECOVERY = "recovery"
ACTIVATION = "activation"   # identifier + code of a printed invitation letter
SECOND_FACTOR = "second_factor"   # the staff's authenticator codes
PAYMENT_MESSAGE = "payment_message"   # refused messages posted to the online payment callbacks (per IP)


@dataclass(frozen=True)
class Subject:
    """One thing counted: a scope, a kind ("id" or "ip") and the raw value."""

    scope: str
    kind: str
    value: str
    limit: int

    @property
    def _digest(self) -> str:
        return hashlib.sha256(f"{self.scope}|{self.kind}|{self.value}".encode()).hexdigest()[:32]

    @property
    def counter_key(self) -> str:
        return f"throttle:count:{self._digest}"

    @property
    def lock_key(self) -> str:
        return f"throttle:lock:{self._digest}"


def client_ip(request) -> str:
    """The client address: REMOTE_ADDR, or the address our own proxies saw.

    With TRUSTED_PROXY_COUNT = n, the n-th address from the right of X-Forwarded-For
    is the one appended by our outermost proxy: anything left of it may be forged.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < trusted:
        return forwarded[0] if forwarded else remote
    return forwarded[-trusted]


def normalise_identifier(identifier: str) -> str:
    return " ".join((identifier or "").split()).casefold()


def subjects(*, scope: str, request, identifier: str | None = None) -> list[Subject]:
    """The counters for one attempt: per identifier (if given) and per IP."""
    found = []
    if identifier is not None:
        found.append(Subject(scope, "id", normalise_identifier(identifier), settings.THROTTLE_MAX_FAILURES))
    found.append(Subject(scope, "ip", client_ip(request), _ip_limit(scope)))
    return found


def _ip_limit(scope: str) -> int:
    if scope == RECOVERY:
        return settings.THROTTLE_RECOVERY_MAX_REQUESTS
    return settings.THROTTLE_IP_MAX_FAILURES


def seconds_locked(items: list[Subject]) -> int:
    """Seconds until every given counter is free again; 0 when none is locked."""
    now = time.time()
    remaining = 0.0
    for until in cache.get_many([item.lock_key for item in items]).values():
        remaining = max(remaining, float(until) - now)
    return math.ceil(remaining) if remaining > 0 else 0


def record_failure(items: list[Subject]) -> int:
    """Count one more failure on each counter; returns seconds locked afterwards."""
    cooldown = settings.THROTTLE_COOLDOWN_SECONDS
    for item in items:
        cache.add(item.counter_key, 0, cooldown)
        try:
            count = cache.incr(item.counter_key)
        except ValueError:  # expired between add and incr
            cache.set(item.counter_key, 1, cooldown)
            count = 1
        if count >= item.limit:
            cache.set(item.lock_key, time.time() + cooldown, cooldown)
            _remember(item, cooldown)
            # Operators see locks in the logs; the identifier itself is not written out.
            logger.warning("throttle: %s locked for %ss (scope=%s, %s)", item.kind, cooldown, item.scope,
                           item.value if item.kind == "ip" else item._digest[:12])
            cache.delete(item.counter_key)
    return seconds_locked(items)


def reset(items: list[Subject]) -> None:
    """Forget the failures (after a success); used for the identifier only."""
    cache.delete_many([key for item in items for key in (item.counter_key, item.lock_key)])
    from .models import ThrottleLock

    ThrottleLock.objects.filter(digest__in=[item._digest for item in items]).delete()


def _remember(item: Subject, cooldown: int) -> None:
    """Record the lock so that staff see it (accounts.admin_throttle); never the identifier as typed."""
    from django.utils import timezone

    from .models import ThrottleLock, User

    user = None
    if item.kind == "id":
        if item.value.startswith("user:"):
            user = User.objects.filter(pk=item.value.removeprefix("user:")).first() if item.value[5:].isdigit() else None
        else:
            user = User.objects.filter(username__iexact=item.value).first()
    until = timezone.now() + datetime.timedelta(seconds=cooldown)
    ThrottleLock.objects.update_or_create(digest=item._digest, defaults={
        "scope": item.scope, "kind": item.kind, "user": user, "address": item.value if item.kind == "ip" else "",
        "locked_until": until})


def unlock(digests) -> int:
    """Lift locks now (staff): the cache keys and the rows go; returns how many were lifted."""
    from .models import ThrottleLock

    digests = list(digests)
    cache.delete_many([f"throttle:{what}:{digest}" for digest in digests for what in ("count", "lock")])
    deleted, _detail = ThrottleLock.objects.filter(digest__in=digests).delete()
    return deleted


def locked_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Trop de tentatives. Par sécurité, réessayez dans %(minutes)d minute.",
        "Trop de tentatives. Par sécurité, réessayez dans %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
