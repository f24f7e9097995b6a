"""Settings of the real Celery worker started by test_worker_integration: the project's
settings (broker and database from the environment) with e-mails written to files."""
import os

from portal.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
