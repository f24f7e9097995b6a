from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReservationsConfig(AppConfig):
    name = "reservations"
    verbose_name = _("Réservations")

    def ready(self):
        # Billing's balance page asks its providers what is booked (billing cannot import us).
        from billing.ledger.balance import register_estimate_provider

        from .booking.estimates import reservations_estimate

        register_estimate_provider(reservations_estimate)
        # /health reports how long ago each structure's night finished (portal cannot import us).
        from portal.health import register

        from .nightly.health import nightly_run_age

        register("nightly", nightly_run_age)
        # The Celery tasks live in nightly/ (Celery's autodiscovery only looks at <app>.tasks):
        # importing them registers them in every process, web and worker alike.
        from .nightly import tasks  # noqa: F401

        # The staff home's panels (accounts.staff_panels: accounts cannot read our rows).
        from .staff import family_panel, home  # noqa: F401
