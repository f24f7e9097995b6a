"""Test settings: the real settings on PostgreSQL, with development-style HTTP cookies.

The suite runs on PostgreSQL (locking differs on SQLite); DATABASE_URL may point
elsewhere, the default is the local server the Makefile starts.
"""
import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")

from .settings import *  # noqa: F403

# Hashing with PBKDF2 at full strength would dominate the suite's run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
