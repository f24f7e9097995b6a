"""Online payment pages, under the "billing" namespace (see billing/urls.py)."""
from django.urls import path, re_path

from . import pages, views

# An attempt's reference: letters, digits and dashes (a NUL or a long string is a plain 404).
REFERENCE = r"(?P<reference>[A-Za-z0-9-]{1,32})"

urlpatterns = [
    path("paiement-en-ligne/recharger/<int:wallet_id>/", pages.topup, name="online_topup"),
    path("paiement-en-ligne/payer/<int:wallet_id>/", pages.pay_due, name="online_pay_due"),
    path("paiement-en-ligne/simulation/", pages.dummy_bank, name="online_dummy_bank"),
    path("paiement-en-ligne/notification/<int:config_id>/", views.notification, name="online_notification"),
    re_path(rf"^paiement-en-ligne/retour/{REFERENCE}/$", views.online_return, name="online_return"),
    re_path(rf"^paiement-en-ligne/{REFERENCE}/$", views.online_status, name="online_status"),
]
