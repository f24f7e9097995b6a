"""Included at /admin/ before the admin itself: the staff login, throttled like the parents' one."""
from django.urls import path

from . import views

urlpatterns = [path("login/", views.admin_login)]
