"""Header data of the reservations app: when the requests were last transmitted.

Every parent page shows it, and it changes once a night: it is kept in the cache (shared
by the web processes when CACHE_URL is set) instead of being asked of the database on
every page, and forgotten when a run of the structure is saved (after the commit).
"""
from django.core.cache import cache
from django.db import transaction

from reservations.models import TransmissionRun

# At most this stale if a process missed the forgetting (a per-process memory cache).
LAST_UPDATE_SECONDS = 300


def last_update_key(structure_id: int) -> str:
    return f"reservations:last-update:{structure_id}"


def last_update(request):
    """The end of the last finished nightly run of the current structure (None if none)."""
    structure = getattr(request, "structure", None)
    if structure is None:
        return {"last_update": None}
    key = last_update_key(structure.pk)
    cached = cache.get(key)
    if cached is None:
        finished_at = (TransmissionRun.objects.filter(structure=structure, status=TransmissionRun.Status.FINISHED)
                       .order_by("-finished_at").values_list("finished_at", flat=True).first())
        cache.set(key, (finished_at,), LAST_UPDATE_SECONDS)   # a tuple: "no run yet" is kept too
        return {"last_update": finished_at}
    return {"last_update": cached[0]}


def forget_last_update(sender, instance: TransmissionRun, **kwargs) -> None:
    """post_save of a run: once a run is finished, the header reads the database again — now,
    and after the commit (a page read in between would have cached the old date)."""
    if instance.status != TransmissionRun.Status.FINISHED:
        return
    key = last_update_key(instance.structure_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
