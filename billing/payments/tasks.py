"""Beat's re-asking of online payments left without an answer (every 5 minutes)."""
from __future__ import annotations

from celery import shared_task

from .services import payment_attempts_poll


@shared_task(name="billing.tasks.online_payments_poll")
def online_payments_poll() -> dict[str, int]:
    return payment_attempts_poll()
