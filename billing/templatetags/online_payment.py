"""The 'Paiement en ligne' part of the balance page: {% load online_payment %} then
{% online_payment_offers summary %}. A template tag, so the ledger's balance view needs
nothing of billing.payments (which imports the ledger)."""
from django import template

from billing.payments.selectors import online_offers

register = template.Library()


@register.inclusion_tag("billing/_online_payment.html", takes_context=True)
def online_payment_offers(context, summary):
    request = context["request"]
    offers = online_offers(family=request.family, wallets=summary.wallets)
    return {"offers": offers, "csrf_token": context.get("csrf_token")}
