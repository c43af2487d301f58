from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.login_page, name="login"),
    path("connexion/erreur/", views.login_error, name="login_error"),
    path("deconnexion/terminee/", views.logged_out, name="logged_out"),
]
