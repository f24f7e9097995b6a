"""Invoicing's parent pages, under the "billing" namespace (see billing/urls.py)."""
from django.urls import path

from . import views

urlpatterns = [
    path("factures/", views.invoices, name="invoices"),
    path("factures/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("factures/<int:invoice_id>/payer/", views.pay_invoice, name="online_pay_invoice"),
    path("factures/prelevement/", views.mandate, name="mandate"),
    path("factures/attestations/<int:certificate_id>/pdf/", views.tax_certificate_pdf, name="tax_certificate_pdf"),
]
