"""Online payment pages, under the "billing" namespace (see billing/urls.py)."""
from django.urls import path, re_path

from . import views

# An attempt's reference: letters, digits and dashes (a NUL or a long string is a plain 404).
REFERENCE = r"(?P<reference>[A-Za-z0-9-]{1,32})"

urlpatterns = [
    path("paiement-en-ligne/notification/<int:config_id>/", views.notification, name="online_notification"),
    re_path(rf"^paiement-en-ligne/retour/{REFERENCE}/$", views.online_return, name="online_return"),
    re_path(rf"^paiement-en-ligne/{REFERENCE}/$", views.online_status, name="online_status"),
]
