"""A URLconf whose view and whose 404 page both fail, for portal/tests/test_errors.py."""
from django.urls import path


def broken_view(request):
    raise ZeroDivisionError("the view failed")


def broken_not_found(request, exception):
    raise LookupError("the 404 page failed")


urlpatterns = [path("en-panne/", broken_view)]
handler404 = broken_not_found
