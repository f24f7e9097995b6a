from django.contrib import admin
from django.urls import include, path

from . import views, views_identity

portal_patterns = ([
    path("", views.home, name="home"),
    path("identite/<slug:slug>/theme.css", views_identity.theme_css, name="theme"),
    path("identite/<slug:slug>/logo.png", views_identity.logo, name="logo"),
    path("identite/<slug:slug>/icone-<int:size>.png", views_identity.icon, name="icon"),
    path("identite/<slug:slug>/manifest.webmanifest", views_identity.manifest, name="manifest"),
    path("favicon.ico", views_identity.favicon, name="favicon"),
    path("mentions-legales/", views_identity.legal_page, {"kind": "mentions-legales"}, name="legal_notice"),
    path("donnees-personnelles/", views_identity.legal_page, {"kind": "donnees-personnelles"}, name="personal_data"),
    path("accessibilite/", views_identity.legal_page, {"kind": "accessibilite"}, name="accessibility"),
], "portal")

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
