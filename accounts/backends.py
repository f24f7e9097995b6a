"""The authentication backend (AUTHENTICATION_BACKENDS): Django's ModelBackend, the logged-in
user read in plain SQL.

Logging in, permissions and everything else are ModelBackend's. Only ``get_user``, which runs at
the start of every logged-in request, reads the row without building and compiling a queryset,
which cost more than the query itself (issue 16, measured in gunicorn on the booking round trip).
"""
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from portal.plain_sql import attnames, connection_for, fetch, fields_of, instance, statement

from .models import User


class AuthBackend(ModelBackend):
    def get_user(self, user_id):
        """The active user of that id, or None (as ModelBackend)."""
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        connection = connection_for(User)
        sql = statement(connection, "SELECT {u:*} FROM {u} WHERE {u.id} = %s", {"u": User})
        rows = fetch(connection, sql, [pk], fields_of(User))
        if not rows:
            return None
        user = instance(User, attnames(User), rows[0], connection.alias)
        return user if self.user_can_authenticate(user) else None
