"""Indexes that others already start with: of reservations, (occurrence_id), (family_id) and
(occurrence_id, state); of their events, (reported_in_id). The night writes all of them for each
state change and each event it reports.

Dropped on PostgreSQL only, by name. On SQLite (development) Django would rebuild the table to
drop a foreign key's index, and the rebuild would lose the place counters' triggers (0008):
there the indexes stay, harmless.
"""
import django.db.models.deletion
from django.db import migrations, models

REDUNDANT = ["reservation_occurre_927c4d_idx", "reservations_reservation_family_id_8e993f98",
             "reservations_reservation_occurrence_id_498e97e2", "reservations_reservationevent_reported_in_id_5ed01784"]


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in REDUNDANT:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = "reservations_reservation"
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{REDUNDANT[0]}" ON {table} (occurrence_id, state)')
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{REDUNDANT[1]}" ON {table} (family_id)')
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{REDUNDANT[2]}" ON {table} (occurrence_id)')
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{REDUNDANT[3]}" ON reservations_reservationevent (reported_in_id)')


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_family_deadline_reminders'),
        ('reservations', '0010_calendarfeed'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, restore)],
            state_operations=[
                migrations.RemoveIndex(
                    model_name='reservation',
                    name='reservation_occurre_927c4d_idx',
                ),
                migrations.AlterField(
                    model_name='reservation',
                    name='family',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name='reservations', to='accounts.family', verbose_name='famille'),
                ),
                migrations.AlterField(
                    model_name='reservation',
                    name='occurrence',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name='reservations', to='reservations.occurrence',
                                            verbose_name='journée'),
                ),
                migrations.AlterField(
                    model_name='reservationevent',
                    name='reported_in',
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.SET_NULL, related_name='reported_events',
                                            to='reservations.transmissionrun', verbose_name='signalé dans'),
                ),
            ],
        ),
    ]
