"""The language switcher's URL, mounted at /i18n/ before Django's own (same path and name,
``set_language``): the choice is also kept for the nightly e-mails (accounts.views)."""
from django.urls import path

from . import views

urlpatterns = [path("setlang/", views.language_switch, name="set_language")]
