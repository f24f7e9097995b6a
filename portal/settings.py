"""Settings for Portail Famille, read from the environment.

Development defaults are safe and need no server (SQLite, eager Celery, console
e-mail). With DEBUG off, every secret must come from the environment: the process
refuses to start rather than run with a guessable key.
"""

import os
from email.utils import getaddresses
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.environment import database_from_url, env_bool, env_int, env_list, env_required

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = env_bool("DEBUG", False)

if DEBUG:
    # Development only: a fixed key is harmless on a laptop and keeps sessions across restarts.
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-never-used-when-DEBUG-is-off")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
else:
    SECRET_KEY = env_required("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off, e.g. ALLOWED_HOSTS=portail.example.org")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "import_export",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Ours, from the bottom layer up (DESIGN §3); seed_demo runs their demo modules in this order.
    "portal",
    "accounts",
    "billing",
    "reservations",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body: an unparsable POST body is a 400 here, never a 500 later.
    "portal.middleware.RequestBodyCheckMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The staff's second factor: django-otp marks a verified session; ours asks for it before the admin.
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.CurrentFamilyMiddleware",
]

ROOT_URLCONF = "portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.current_family",
                "portal.context_processors.identity",
                "reservations.context_processors.last_update",
            ],
        },
    },
]

WSGI_APPLICATION = "portal.wsgi.application"

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Django's ModelBackend, the logged-in user read in plain SQL at each request (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["accounts.backends.AuthBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Password reset links (e-mail route and security-answer route) expire after one hour.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600, minimum=60)
# Invitations of imported or created parent logins (e-mailed link, printed code) expire after N days.
INVITATION_MAX_AGE_DAYS = env_int("INVITATION_MAX_AGE_DAYS", 30, minimum=1)
# E-mail confirmation links expire after two days.
EMAIL_CONFIRMATION_MAX_AGE = 2 * 24 * 3600

# Throttling of failed logins and failed security answers (per identifier and per IP).
THROTTLE_MAX_FAILURES = env_int("THROTTLE_MAX_FAILURES", 5, minimum=1)
THROTTLE_COOLDOWN_SECONDS = env_int("THROTTLE_COOLDOWN_SECONDS", 900, minimum=1)
# Per IP the limit is higher: several families may share one address (town library, NAT).
THROTTLE_IP_MAX_FAILURES = env_int("THROTTLE_IP_MAX_FAILURES", 4 * THROTTLE_MAX_FAILURES, minimum=1)
# Recovery requests ("Le retrouver", step 1) per IP within the cool-down window.
THROTTLE_RECOVERY_MAX_REQUESTS = env_int("THROTTLE_RECOVERY_MAX_REQUESTS", 10, minimum=1)
# Second factor (TOTP) for the admin: always for superusers when on; staff per structure (Structure flag).
SUPERUSER_SECOND_FACTOR_REQUIRED = env_bool("SUPERUSER_SECOND_FACTOR_REQUIRED", False)
# The name shown in the authenticator application next to the login.
OTP_TOTP_ISSUER = "Portail Famille"
# Behind a reverse proxy, the number of proxies whose X-Forwarded-For we trust.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Sessions: an idle parent is logged out after one hour; closing the browser ends it. A session
# is written when it changes or once every SESSION_REFRESH_SECONDS (portal.middleware.
# SessionRefreshMiddleware), not on every request: one UPDATE less per page. They are Django's
# database sessions, read in plain SQL at the start of each request (accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 3600, minimum=60)
SESSION_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
# Off: with it, ids in forms and links render as "1 024" and every booking of a day with id ≥ 1000
# failed; amounts are formatted by billing.money (narrow no-break space) anyway.
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))

# Staff imports (django-import-export): every import runs in a transaction (the preview is a
# rolled-back run); the uploaded file waits between preview and confirmation in the cache,
# shared by every web process (a temporary folder would be local to one of them).
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.CacheStorage"
# A cell starting with "=" exported to CSV would run as a formula in the spreadsheet that opens it.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Cache: Redis when configured (shared by every web process, needed for throttling
# to hold across processes), else in-process memory for development.
if os.environ.get("CACHE_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["CACHE_URL"]}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# E-mail: SMTP when EMAIL_HOST is set, else the console. EMAIL_BACKEND overrides either, e.g.
# django.core.mail.backends.filebased.EmailBackend with EMAIL_FILE_PATH to capture every
# message in files (a test site) without touching the code.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Portail Famille <no-reply@portail-famille.localhost>")
# Error reports: with DEBUG off every 500 is e-mailed, traceback included, to ADMINS, e.g.
# ADMINS="Ops <ops@example.org>, jeanne.martin@example.org" (sent from SERVER_EMAIL).
ADMINS = [(name, address) for name, address in getaddresses(env_list("ADMINS"))]
if any("@" not in address for _name, address in ADMINS):
    raise ImproperlyConfigured('ADMINS must be e-mail addresses separated by commas, e.g. "Ops <ops@example.org>".')
SERVER_EMAIL = os.environ.get("SERVER_EMAIL") or DEFAULT_FROM_EMAIL
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
# Seconds an SMTP connection may stay silent before the attempt fails (and is retried later):
# without it a hung server would hold an outbox row in "sending" for ever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 60, minimum=1)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", "")
if EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend" and not EMAIL_FILE_PATH:
    raise ImproperlyConfigured("EMAIL_FILE_PATH must name a folder when EMAIL_BACKEND is the file backend.")

# Absolute address used in e-mails (links to the follow-up page, reset links).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Celery: Redis broker in production; without a broker, tasks run eagerly in-process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged when it is done, not when it starts: a worker that dies mid-task
# leaves it in Redis, which hands it out again after the visibility timeout; and a task whose
# pool process is killed (out of memory, SIGKILL) goes back to the queue at once instead of
# being acknowledged and lost. Every task is safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Seconds Redis waits before handing an unacknowledged task to another worker. Must exceed the
# longest task (one structure's night, a chunk, writing the reports) and the longest retry delay
# of an e-mail (one hour), or the task also runs a second time meanwhile (harmless, wasted work).
# A dead worker's chunks are picked up sooner by the transmission watchdog below.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 7200, minimum=60)}
NIGHTLY_TRANSMISSION_TIME = os.environ.get("NIGHTLY_TRANSMISSION_TIME", "01:30")
# "structure": one task per structure settles its whole night; "chunks": each structure's
# night is split into tasks of TRANSMISSION_CHUNK_SIZE occurrences shared by the workers.
TRANSMISSION_FAN_OUT = os.environ.get("TRANSMISSION_FAN_OUT", "structure")
if TRANSMISSION_FAN_OUT not in ("structure", "chunks"):
    raise ImproperlyConfigured('TRANSMISSION_FAN_OUT must be "structure" or "chunks"')
TRANSMISSION_CHUNK_SIZE = env_int("TRANSMISSION_CHUNK_SIZE", 200, minimum=1)
# "structure": a structure's days are settled on this many database connections at once (threads
# of the one task; 1: one after the other). The database does most of the settling's work.
TRANSMISSION_SETTLE_CONNECTIONS = env_int("TRANSMISSION_SETTLE_CONNECTIONS", 2, minimum=1)
# … and its reports are written by tasks of TRANSMISSION_REPORT_FAMILIES families each.
TRANSMISSION_REPORT_FAMILIES = env_int("TRANSMISSION_REPORT_FAMILIES", 1000, minimum=1)
# The watchdog (beat, every TRANSMISSION_WATCHDOG_SECONDS) finishes a run that made no progress
# for TRANSMISSION_STALL_SECONDS: longer than a chunk may wait in the queue and take to settle,
# or it settles chunks the workers are still on (harmless: settling twice changes nothing, it
# only costs time).
TRANSMISSION_WATCHDOG_SECONDS = env_int("TRANSMISSION_WATCHDOG_SECONDS", 300, minimum=1)
TRANSMISSION_STALL_SECONDS = env_int("TRANSMISSION_STALL_SECONDS", 900, minimum=1)
try:
    _hour, _minute = (int(part) for part in NIGHTLY_TRANSMISSION_TIME.split(":"))
    if not (0 <= _hour < 24 and 0 <= _minute < 60):
        raise ValueError
except ValueError as exc:
    raise ImproperlyConfigured("NIGHTLY_TRANSMISSION_TIME must look like HH:MM, e.g. 01:30") from exc
# Reports of the night queue their e-mails as soon as the outbox rows commit. Benches turn
# this off to time the writing alone; rows left pending are sent by "outbox-flush" below.
OUTBOX_AUTO_SEND = True
# A reminder is e-mailed when a booking deadline is less than this many hours away (issue 11).
DEADLINE_REMINDER_HOURS = env_int("DEADLINE_REMINDER_HOURS", 48, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "nightly-transmission": {
        "task": "reservations.tasks.nightly_transmission",
        "schedule": crontab(hour=_hour, minute=_minute),
    },
    # Pending e-mails whose message was lost (broker restart) and e-mails left "sending" by a
    # dead worker are queued again.
    "outbox-flush": {
        "task": "notifications.tasks.outbox_flush",
        "schedule": crontab(minute="*/15"),
    },
    # The drafts of last month's invoices, for staff to review and finalise (billing.invoicing).
    "invoicing-month-drafts": {
        "task": "billing.tasks.invoicing_month_drafts",
        "schedule": crontab(day_of_month="1", hour="5", minute="0"),
    },
    # Online payments without an answer: PayFiP is asked again (5 min to 3 h old), then they expire.
    "online-payments-poll": {
        "task": "billing.tasks.online_payments_poll",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 300},
    },
    # Reminders of unpaid invoices (once per invoice and level) and, on 2 January, last year's tax certificates.
    "invoice-reminders": {
        "task": "billing.tasks.invoice_reminders",
        "schedule": crontab(hour="7", minute="0"),
    },
    "tax-certificates": {
        "task": "billing.tasks.tax_certificates_of_last_year",
        "schedule": crontab(month_of_year="1", day_of_month="2", hour="4", minute="0"),
    },
    # Reminders before booking deadlines (notifications.reminders), once per family/activity/week.
    "deadline-reminders": {
        "task": "notifications.tasks.deadline_reminders",
        "schedule": crontab(minute="5"),
    },
    # Runs whose work stopped progressing (a worker killed mid-chunk) are finished.
    "transmission-watchdog": {
        "task": "reservations.tasks.transmission_watchdog",
        "schedule": float(TRANSMISSION_WATCHDOG_SECONDS),
        "options": {"expires": TRANSMISSION_WATCHDOG_SECONDS},   # workers down: no pile of stale sweeps
    },
}

# Security headers and cookies. Production turns everything on; development over plain
# HTTP cannot use secure cookies or HTTPS redirects.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_HTTPONLY = True
    LANGUAGE_COOKIE_SAMESITE = "Lax"
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_HTTPS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): scripts, styles, fonts and images come from the site's
# own files only — no inline script or style, no eval, no CDN (the assets are vendored). Images
# may be data: URIs: Bootstrap draws its select arrows and menu icon with them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# /health (portal/health.py): a structure whose last finished night is older than this is late;
# each network check gives up after HEALTH_TIMEOUT_SECONDS.
HEALTH_NIGHTLY_MAX_AGE_HOURS = env_int("HEALTH_NIGHTLY_MAX_AGE_HOURS", 26, minimum=1)
HEALTH_TIMEOUT_SECONDS = env_int("HEALTH_TIMEOUT_SECONDS", 2, minimum=1)
# Load balancers probe over plain HTTP: /health answers there instead of redirecting to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^health$"]

# Sentry, when SENTRY_DSN is set: errors of the web processes (Django) and of the workers
# (Celery). No personal data by default: no user, cookie, IP address or request body.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "").strip()
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(dsn=SENTRY_DSN, integrations=[DjangoIntegration(), CeleryIntegration()], send_default_pii=False,
                    environment=os.environ.get("SENTRY_ENVIRONMENT", "production"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A 500 raised while an error page was built is logged with its traceback too (portal/errors.py).
    "filters": {"attach_request_exception": {"()": "portal.errors.AttachRequestException"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["attach_request_exception"]},
    },
}
