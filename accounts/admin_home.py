"""The staff home's panels of accounts: logins not activated yet, cool-downs to lift."""
from django.urls import reverse
from django.utils.translation import ngettext

from .admin_throttle import locks_in_force
from .selectors import logins_not_activated
from .staff_panels import Panel, TodoItem, register_home_panel


@register_home_panel
def logins_panel(*, request, structure_ids) -> Panel | None:
    todo = []
    pending = logins_not_activated(structure_ids).count()
    if pending:
        label = ngettext("identifiant de famille pas encore activé (invitation à renvoyer, lettre à imprimer)",
                         "identifiants de familles pas encore activés (invitations à renvoyer, lettres à imprimer)", pending)
        todo.append(TodoItem(pending, label, reverse("admin:accounts_user_changelist") + "?active=non"))
    locked = locks_in_force(request).count()
    if locked:
        todo.append(TodoItem(locked, ngettext("connexion bloquée après des essais manqués (à débloquer si besoin)",
                                              "connexions bloquées après des essais manqués (à débloquer si besoin)", locked),
                             reverse("admin:accounts_throttlelock_changelist"), urgent=True))
    return Panel(title="", template="", todo=todo, order=90) if todo else None
