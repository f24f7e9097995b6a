"""The counts of a night's run in French words, for staff (not the keys stored in run.counts)."""
from django.utils.translation import gettext_lazy as _

COUNT_LABELS = {
    "occurrences": _("journées traitées"),
    "accepted": _("demandes acceptées"),
    "awaiting_decision": _("demandes en attente de réponse"),
    "waiting_list": _("mises en liste d'attente"),
    "refused": _("demandes refusées"),
    "cancelled": _("annulations"),
    "promoted": _("places de liste d'attente attribuées"),
    "consumptions_posted": _("consommations passées"),
    "consumptions_not_charged": _("absences justifiées non facturées"),
    "consumptions_errors": _("consommations en erreur (porte-monnaie à vérifier)"),
    "emails_queued": _("comptes rendus envoyés"),
    "emails_no_address": _("familles sans adresse e-mail"),
    "chunks_total": _("lots prévus"),
    "chunks_done": _("lots terminés"),
}


def count_words(counts: dict | None) -> list[str]:
    """["12 demandes acceptées", …] in the order above, zero counts left out; a key this list
    does not know (added by a newer version) is shown as it is rather than hidden."""
    counts = counts or {}
    known = [f"{counts[key]} {label}" for key, label in COUNT_LABELS.items() if counts.get(key)]
    unknown = [f"{key} : {value}" for key, value in counts.items() if key not in COUNT_LABELS and value]
    return known + unknown
