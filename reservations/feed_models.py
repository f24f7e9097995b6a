"""A family's private calendar feed (issue 11): an iCalendar address holding a random token, which
the parent gives to a phone's calendar app; revoking it makes the old address answer 404."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Family


class CalendarFeed(models.Model):
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="calendar_feeds", verbose_name=_("famille"))
    token = models.CharField(_("jeton"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    structure_path = "family__structure"

    class Meta:
        verbose_name = _("agenda en ligne")
        verbose_name_plural = _("agendas en ligne")
        constraints = [models.UniqueConstraint(fields=["family"], condition=models.Q(revoked_at__isnull=True),
                                               name="one_live_calendar_feed_per_family")]

    def __str__(self):
        return str(self.family)
