"""The session engine (SESSION_ENGINE): Django's database sessions, read in plain SQL.

The same table, rows and encoding as ``django.contrib.sessions.backends.db`` (sessions opened
before keep working); only the read that starts every logged-in request skips building and
compiling a queryset, which cost more than the query itself (issue 16, measured in gunicorn on
the booking round trip). Writes, expiry and clearing are Django's.
"""
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from portal.plain_sql import attnames, connection_for, fetch, fields_of, instance, statement


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        """The unexpired session of this key, or None (the key then forgotten, as Django does)."""
        connection = connection_for(Session)
        sql = statement(connection, "SELECT {s:*} FROM {s} WHERE {s.session_key} = %s AND {s.expire_date} > %s",
                        {"s": Session})
        expire_date = fields_of(Session, ("expire_date",))[0]
        now = expire_date.get_db_prep_value(timezone.now(), connection)
        rows = fetch(connection, sql, [self.session_key, now], fields_of(Session)) if self.session_key else []
        if not rows:
            self._session_key = None
            return None
        return instance(Session, attnames(Session), rows[0], connection.alias)
