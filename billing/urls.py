"""URLs of the billing app, namespace "billing": each sub-package adds its pages."""
from django.urls import include, path

app_name = "billing"

urlpatterns = [
    path("", include("billing.ledger.urls")),
    path("", include("billing.payments.urls")),
    path("", include("billing.invoicing.urls")),
]
