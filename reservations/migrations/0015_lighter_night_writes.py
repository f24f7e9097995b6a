"""Fewer writes for each state change and each event of the night (issue 16).

- Events: no foreign key constraint on the reservation and the run (their indexes stay): each
  event inserted was two key checks at commit, one query each — 200,000 for a night of 100,000
  requests. The actor's index holds only the events that have one (staff's, not the night's).
- Reservations: each change of state writes a new entry in every index holding the row. The
  index of ``submitted_at`` went (nothing searches by it; a day's requests are read in that
  order after the day's index), and the posting run's index holds only the posted rows: a
  request changes state before it is ever posted.

The reservations' part is done on PostgreSQL only, by name: on SQLite (development) Django would
rebuild the table to drop an index of a field, and the rebuild would lose the place counters'
triggers (0008). There the old indexes stay, harmless. The events' table has no trigger: its
part runs on both.
"""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

POSTED_IN = "reservation_posted_in_idx"


def _index_on(schema_editor, table: str, column: str) -> list[str]:
    """The plain one-column indexes of a column (Django named them from a hash)."""
    with schema_editor.connection.cursor() as cursor:
        found = schema_editor.connection.introspection.get_constraints(cursor, table)
    return [name for name, info in found.items()
            if info["index"] and info["columns"] == [column] and not (info["unique"] or info["primary_key"])]


def reservations_lighter(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = "reservations_reservation"
    for column in ("submitted_at", "posted_in_id"):
        for name in _index_on(schema_editor, table, column):
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{POSTED_IN}" ON {table} (posted_in_id) WHERE posted_in_id IS NOT NULL')


def reservations_as_before(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = "reservations_reservation"
    schema_editor.execute(f'DROP INDEX IF EXISTS "{POSTED_IN}"')
    schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "reservations_reservation_submitted_at_17018d13" ON {table} (submitted_at)')
    schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "reservations_reservation_posted_in_id_354aee7c" ON {table} (posted_in_id)')


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_family_deadline_reminders'),
        ('reservations', '0014_events_written_once'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(reservations_lighter, reservations_as_before)],
            state_operations=[
                migrations.AlterField(
                    model_name='reservation',
                    name='posted_in',
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.SET_NULL, related_name='+',
                                            to='reservations.transmissionrun', verbose_name='passée par la transmission'),
                ),
                migrations.AlterField(
                    model_name='reservation',
                    name='submitted_at',
                    field=models.DateTimeField(verbose_name='demandée le'),
                ),
                migrations.AddIndex(
                    model_name='reservation',
                    index=models.Index(condition=models.Q(('posted_in__isnull', False)), fields=['posted_in'],
                                       name=POSTED_IN),
                ),
            ],
        ),
        migrations.AlterField(
            model_name='reservationevent',
            name='actor',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='par'),
        ),
        migrations.AlterField(
            model_name='reservationevent',
            name='reservation',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE,
                                    related_name='events', to='reservations.reservation', verbose_name='réservation'),
        ),
        migrations.AlterField(
            model_name='reservationevent',
            name='run',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True,
                                    on_delete=django.db.models.deletion.SET_NULL, related_name='events',
                                    to='reservations.transmissionrun', verbose_name='transmission'),
        ),
        migrations.AddIndex(
            model_name='reservationevent',
            index=models.Index(condition=models.Q(('actor__isnull', False)), fields=['actor'],
                               name='reservationevent_actor_idx'),
        ),
    ]
