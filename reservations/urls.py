from django.urls import path

from . import followup, views

app_name = "reservations"

urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("jour/<str:day>/", views.day, name="day"),
    path("basculer/", views.toggle, name="toggle"),
    path("semaine-type/", views.week_pattern, name="week_pattern"),
    path("panier/", views.cart, name="cart"),
    path("panier/abandonner/", views.cart_clear, name="cart_clear"),
    path("panier/valider/", views.confirm, name="confirm"),
    path("panier/resultat/<uuid:token>/", views.confirmation, name="confirmation"),
    path("suivi/", followup.followup, name="followup"),
    path("suivi/imprimer/", followup.followup_print, name="followup_print"),
    path("suivi/annuler/", followup.followup_cancel, name="followup_cancel"),
]
