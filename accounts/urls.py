from django.urls import path

from . import views, views_activation

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("structure/", views.switch_structure, name="switch_structure"),
    path("profil/", views.profile, name="profile"),
    path("email/<str:token>/", views.email_confirm, name="email_confirm"),
    path("retrouver/", views.recover, name="recover"),
    path("retrouver/choix/", views.recover_routes, name="recover_routes"),
    path("retrouver/nouveau/<uidb64>/<token>/", views.reset_view, name="reset"),
    path("activer/", views_activation.activate_code, name="activate_code"),
    path("activer/<str:token>/", views_activation.activate_link, name="activate_link"),
]
