from django.contrib import admin
from django.urls import include, path

from . import views

portal_patterns = ([path("", views.home, name="home")], "portal")

urlpatterns = [
    # The admin's login page goes through the same throttling as the parents' login.
    path("admin/", include("accounts.admin_urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("accounts.language_urls")),   # set_language, remembered for the e-mails
    path("i18n/", include("django.conf.urls.i18n")),
    path("compte/", include("accounts.urls")),
    path("facturation/", include("billing.urls")),
    path("reservations/", include("reservations.urls")),
    # No trailing slash, no namespace: the address load balancers and monitoring are given.
    path("health", views.health, name="health"),
    path("", include(portal_patterns)),
]
