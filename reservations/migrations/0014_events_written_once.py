"""Events are written once: what a family was told moves to notifications.ReportWatermark.

On PostgreSQL a BRIN index on ``at`` finds the day's events the reports look for (events
are appended in time order, so a block range summary is enough and costs next to nothing
per insert); SQLite's small databases need none."""
from django.db import migrations

BRIN = "reservationevent_at_brin"


def brin_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{BRIN}" ON reservations_reservationevent USING brin (at)')


def brin_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{BRIN}"')


class Migration(migrations.Migration):

    dependencies = [
        ('reservations', '0013_reservation_movement_idx'),
        ('notifications', '0007_report_watermark'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='reservationevent',
            name='reservation_reporte_123fbe_idx',
        ),
        migrations.RemoveField(
            model_name='reservationevent',
            name='reported_in',
        ),
        migrations.RunPython(brin_create, brin_drop),
    ]
