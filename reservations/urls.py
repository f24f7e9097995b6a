from django.urls import path

from . import followup

app_name = "reservations"

urlpatterns = [
    path("suivi/", followup.followup, name="followup"),
    path("suivi/imprimer/", followup.followup_print, name="followup_print"),
    path("suivi/annuler/", followup.followup_cancel, name="followup_cancel"),
]
