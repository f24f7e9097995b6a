"""The session engine: Django's database sessions, read in plain SQL (accounts/sessions.py)."""
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
