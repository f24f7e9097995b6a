from django.db import migrations, models


class Migration(migrations.Migration):
    """Occurrence.is_cancelled is called is_closed (the column is renamed, nothing else); the
    kinds of ReservationEvent become model choices (the values stored are the same)."""

    dependencies = [
        ("reservations", "0002_place_count_index"),
    ]

    operations = [
        migrations.RenameField(model_name="occurrence", old_name="is_cancelled", new_name="is_closed"),
        migrations.AlterField(
            model_name="reservationevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("requested", "Demande de réservation"), ("cancel_requested", "Demande d'annulation"),
                    ("cancelled", "Annulée avant transmission"), ("cancellation_applied", "Annulation appliquée"),
                    ("accepted", "Acceptée"), ("awaiting_decision", "En attente réponse"),
                    ("waiting_list", "Mise en liste d'attente"), ("refused", "Refusée"),
                    ("promoted", "Place attribuée depuis la liste d'attente"),
                ],
                max_length=40,
                verbose_name="mouvement",
            ),
        ),
    ]
