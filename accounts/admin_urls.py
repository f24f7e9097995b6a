"""Included at /admin/ before the admin itself: the staff login, throttled like the parents' one,
and the second-factor page (accounts.second_factor)."""
from django.contrib import admin
from django.urls import path

from . import views, views_second_factor

urlpatterns = [
    path("login/", views.admin_login),
    path("deuxieme-facteur/", admin.site.admin_view(views_second_factor.second_factor), name="admin_second_factor"),
]
