"""Header data of the reservations app: when the requests were last transmitted."""
from reservations.models import TransmissionRun


def last_update(request):
    """The end of the last finished nightly run of the current structure (None if none)."""
    structure = getattr(request, "structure", None)
    if structure is None:
        return {"last_update": None}
    finished_at = (TransmissionRun.objects.filter(structure=structure, status=TransmissionRun.Status.FINISHED)
                   .order_by("-finished_at").values_list("finished_at", flat=True).first())
    return {"last_update": finished_at}
