"""URLs of the reservations app, namespace "reservations": each sub-package adds its pages."""
from django.urls import include, path

app_name = "reservations"

urlpatterns = [
    path("", include("reservations.booking.urls")),
]
