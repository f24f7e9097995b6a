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
        # The parent's home page: next days, requests awaiting an answer, cart, next deadline.
        from portal.home import register_home_section

        from .booking.home import home_bookings

        register_home_section(10, home_bookings)
        # The Celery tasks live in nightly/ (Celery's autodiscovery only looks at <app>.tasks):
        # importing them registers them in every process, web and worker alike.
        from .nightly import tasks  # noqa: F401

        # The staff home's panels (accounts.staff_panels: accounts cannot read our rows).
        from .staff import family_panel, home  # noqa: F401

        self._forget_last_update_when_a_run_is_saved()

    def _forget_last_update_when_a_run_is_saved(self):
        """The header's "date of last update" is cached (context_processors) until a run is saved."""
        from django.db.models.signals import post_save

        from .context_processors import forget_last_update
        from .models import TransmissionRun

        post_save.connect(forget_last_update, sender=TransmissionRun, dispatch_uid="reservations.forget_last_update")
