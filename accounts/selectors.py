"""Reads about logins and families shared with the other apps."""
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from portal.models import Structure
from portal.plain_sql import attnames, connection_for, fetch, fields_of, instance, instances, statement

from .models import Child, Family, StaffMembership, User


def families_of_user(user) -> list[Family]:
    """Families a login may act for, each with its structure, one query, in a stable order.

    In plain SQL (portal.plain_sql): it runs before every page of a parent, where compiling
    the queryset was a third of the booking toggle's reading time (issue 16)."""
    if not user.is_authenticated:
        return []
    connection = connection_for(Family)
    sql = statement(connection, "SELECT {f:*}, {s:*} FROM {f} INNER JOIN {m} ON {m.family_id} = {f.id} "
                    "INNER JOIN {s} ON {s.id} = {f.structure_id} WHERE {m.user_id} = %s ORDER BY {s.name}, {f.id}",
                    {"f": Family, "m": Family.users.through, "s": Structure})
    families = []
    for row in fetch(connection, sql, [user.pk], fields_of(Family) + fields_of(Structure)):
        family, structure = instances((Family, Structure), row, connection.alias)
        family._state.fields_cache = {"structure": structure}
        families.append(family)
    return families


def children_of_family(family: Family) -> QuerySet[Child]:
    return Child.objects.filter(family=family).order_by("first_name", "id")


def child_of_family_or_404(family: Family, child_id) -> Child:
    """Another family's child is a 404, never a 403 that would confirm it exists. Plain SQL, as
    ``families_of_user``: read on each toggle of a day."""
    try:
        wanted = int(child_id)
    except (TypeError, ValueError):
        raise Http404(_("Enfant introuvable.")) from None
    connection = connection_for(Child)
    sql = statement(connection, "SELECT {c:*} FROM {c} WHERE {c.family_id} = %s AND {c.id} = %s", {"c": Child})
    rows = fetch(connection, sql, [family.pk, wanted], fields_of(Child))
    if not rows:
        raise Http404(_("Enfant introuvable."))
    return instance(Child, attnames(Child), rows[0], connection.alias)


def child_among_or_404(children: list[Child], child_id) -> Child:
    """The child of that id among a family's children already read (no query); 404 otherwise."""
    try:
        wanted = int(child_id)
    except (TypeError, ValueError):
        raise Http404(_("Enfant introuvable.")) from None
    for child in children:
        if child.pk == wanted:
            return child
    raise Http404(_("Enfant introuvable."))


def structure_ids_of_staff(user) -> list[int]:
    """Structures whose data a staff user may see in the admin."""
    return list(user.staff_memberships.values_list("structure_id", flat=True))


def fresh_logins() -> QuerySet[User]:
    """Logins nobody can get into yet: attached to no family and no structure's staff, no
    usable password, no e-mail, no security answer. Staff of every structure may see them
    (to attach a new login to a family); nothing they could set on one survives its being
    attached elsewhere, since a login leaves this set as soon as it has a way in."""
    return User.objects.filter(
        Q(password__startswith=UNUSABLE_PASSWORD_PREFIX) | Q(password=""),
        families__isnull=True, staff_memberships__isnull=True, email="", security_answer_hash="", is_superuser=False,
    )


def logins_in_scope(structure_ids) -> QuerySet[User]:
    """Logins staff of these structures may see and pick: their families' and their staff's
    logins and the fresh ones; never a superuser. One query, no duplicates (subqueries)."""
    of_families = Family.users.through.objects.filter(family__structure__in=structure_ids).values("user_id")
    of_staff = StaffMembership.objects.filter(structure__in=structure_ids).values("user_id")
    return User.objects.filter(
        Q(pk__in=of_families) | Q(pk__in=of_staff) | Q(pk__in=fresh_logins().values("pk")), is_superuser=False,
    )


def logins_not_activated(structure_ids) -> QuerySet[User]:
    """Active parents' logins of these structures' families that have never chosen a password
    (None: every structure). One query; the staff home counts them, the logins list filters them."""
    families = Family.objects.all() if structure_ids is None else Family.objects.filter(structure__in=structure_ids)
    return User.objects.filter(
        Q(password__startswith=UNUSABLE_PASSWORD_PREFIX) | Q(password=""),
        pk__in=Family.users.through.objects.filter(family__in=families).values("user_id"), is_active=True,
    )


def structure_ids_of_login(user) -> set[int]:
    """Every structure a login reaches: through its families and its staff memberships."""
    return (set(Family.objects.filter(users=user).values_list("structure_id", flat=True))
            | set(StaffMembership.objects.filter(user=user).values_list("structure_id", flat=True)))
