"""The session engine and the backend's user read: Django's, in plain SQL (accounts/sessions.py, backends.py)."""
import datetime

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_session_written_by_django_reads_back_the_same():
    written = DjangoSessionStore()
    written.update({"current_structure_id": 7, "words": "éte"})
    written.create()
    read = SessionStore(session_key=written.session_key)
    assert read.load() == {"current_structure_id": 7, "words": "éte"}
    assert read.session_key == written.session_key


def test_an_expired_unknown_or_missing_key_reads_as_empty_and_is_forgotten():
    expired = DjangoSessionStore()
    expired["a"] = 1
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    for key in (expired.session_key, "x" * 40, None):
        store = SessionStore(session_key=key)
        assert store.load() == {}
        assert store.session_key is None


def test_a_logged_in_parent_stays_logged_in_across_pages(client, django_user_model):
    user = django_user_model.objects.create_user(username="parent-sessions", password="Un-mot-de-passe-2026")
    assert client.login(username="parent-sessions", password="Un-mot-de-passe-2026")
    response = client.get("/")
    assert response.wsgi_request.user == user


def test_the_backend_reads_the_logged_in_user_as_django_would(django_user_model):
    from accounts.backends import AuthBackend

    user = django_user_model.objects.create_user(username="parent-backend", password="Un-mot-de-passe-2026",
                                                 first_name="Émile")
    read = AuthBackend().get_user(str(user.pk))
    assert read == user and read.first_name == "Émile" and read.get_session_auth_hash() == user.get_session_auth_hash()
    user.is_active = False
    user.save()
    assert AuthBackend().get_user(str(user.pk)) is None     # an inactive login is nobody
    assert AuthBackend().get_user("not-a-number") is None and AuthBackend().get_user(str(user.pk + 1000)) is None
