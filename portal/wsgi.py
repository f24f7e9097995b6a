"""The WSGI entry point of the web processes (``gunicorn portal.wsgi``).

Once Django is set up, the URLconf is loaded here (every view and what it imports: the holidays
tables, the rules) rather than at the first parent's request, and everything then in memory is
frozen out of the cyclic garbage collector (``gc.freeze``). Those objects, about 130,000, live as
long as the process; before, each full collection walked them all: a 120 ms pause in the middle of
some parent's click, about once in 30 requests, measured in gunicorn (issue 16). Collections now
walk only what requests leave behind (under 20,000 objects).
"""
import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 — the property imports every view
gc.freeze()
