"""The ledger's parent pages, under the "billing" namespace (see billing/urls.py)."""
from django.urls import path

from . import views

urlpatterns = [
    path("historiques/consommations/", views.consumptions, name="consumptions"),
    path("historiques/consommations/exporter/", views.consumptions_export, name="consumptions_export"),
    path("historiques/consommations/imprimer/", views.consumptions_print, name="consumptions_print"),
    path("historiques/reglements/", views.payments, name="payments"),
    path("historiques/reglements/exporter/", views.payments_export, name="payments_export"),
    path("historiques/reglements/imprimer/", views.payments_print, name="payments_print"),
    path("historiques/reglements/<int:payment_id>/recu/", views.payment_receipt, name="payment_receipt"),
    path("solde/", views.balance, name="balance"),
]
