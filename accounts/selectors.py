"""Reads about logins and families shared with the other apps."""
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Child, Family


def families_of_user(user) -> list[Family]:
    """Families a login may act for, one query, in a stable order."""
    if not user.is_authenticated:
        return []
    return list(Family.objects.filter(users=user).select_related("structure").order_by("structure__name", "id"))


def children_of_family(family: Family) -> QuerySet[Child]:
    return Child.objects.filter(family=family).order_by("first_name", "id")


def child_of_family_or_404(family: Family, child_id) -> Child:
    """Another family's child is a 404, never a 403 that would confirm it exists."""
    try:
        return Child.objects.get(family=family, pk=int(child_id))
    except (Child.DoesNotExist, TypeError, ValueError):
        raise Http404(_("Enfant introuvable.")) from None


def structure_ids_of_staff(user) -> list[int]:
    """Structures whose data a staff user may see in the admin."""
    return list(user.staff_memberships.values_list("structure_id", flat=True))
