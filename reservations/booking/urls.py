"""The parent's pages, under the "reservations" namespace (see reservations/urls.py)."""
from django.urls import path

from . import views, views_feed

urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("jour/<str:day>/", views.day, name="day"),
    path("basculer/", views.toggle, name="toggle"),
    path("semaine-type/", views.week_pattern, name="week_pattern"),
    path("panier/", views.cart, name="cart"),
    path("panier/abandonner/", views.cart_abandon, name="cart_clear"),
    path("panier/valider/", views.confirm, name="confirm"),
    path("panier/resultat/<uuid:token>/", views.confirmation, name="confirmation"),
    path("suivi/", views.followup, name="followup"),
    path("suivi/imprimer/", views.followup_print, name="followup_print"),
    path("suivi/annuler/", views.followup_cancel, name="followup_cancel"),
    path("agenda/", views_feed.feed_page, name="feed"),
    path("agenda/<str:token>.ics", views_feed.feed_ics_view, name="feed_ics"),
]
