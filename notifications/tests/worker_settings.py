"""Settings of the real Celery worker started by test_worker_integration: the project's
settings (broker, database and the file e-mail backend from the environment) with a fast
password hasher."""
from portal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
