from django.contrib import admin
from django.urls import include, path

from . import views

portal_patterns = ([path("", views.home, name="home")], "portal")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("compte/", include("accounts.urls")),
    path("facturation/", include("billing.urls")),
    path("reservations/", include("reservations.urls")),
    path("", include(portal_patterns)),
]
