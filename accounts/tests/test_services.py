from django.contrib.auth.models import Permission
from django.core import mail

from accounts import services
from accounts.tests.factories import FamilyFactory, UserFactory


def _codenames(group):
    return set(group.permissions.values_list("content_type__app_label", "codename"))


def test_staff_group_has_add_change_view_everywhere_and_delete_only_where_safe(db):
    codenames = _codenames(services.staff_group_sync())
    for app, model in [("accounts", "family"), ("portal", "message"), ("billing", "payment"), ("reservations", "reservation")]:
        assert {(app, f"add_{model}"), (app, f"change_{model}"), (app, f"view_{model}")} <= codenames
    assert ("portal", "delete_message") in codenames
    assert ("reservations", "delete_closure") in codenames
    for unsafe in [("billing", "delete_payment"), ("billing", "delete_consumption"), ("reservations", "delete_reservation"),
                   ("accounts", "delete_family"), ("accounts", "delete_user"), ("portal", "delete_structure")]:
        assert unsafe not in codenames
    assert not any(app in {"auth", "admin", "sessions", "contenttypes"} for app, _ in codenames)


def test_staff_group_sync_is_idempotent_and_repairs_a_tampered_group(db):
    group = services.staff_group_sync()
    expected = _codenames(group)
    group.permissions.add(Permission.objects.get(codename="delete_user"))
    group.permissions.remove(Permission.objects.get(codename="view_family"))
    again = services.staff_group_sync()
    assert again.pk == group.pk
    assert _codenames(again) == expected


def test_email_change_confirm_refuses_an_inactive_login(db):
    user = UserFactory(email="ancienne@example.org")
    link = services.email_change_request(user=user, new_email="nouvelle@example.org")
    user.is_active = False
    user.save()
    token = link.rstrip("/").rsplit("/", 1)[1]
    try:
        services.email_change_confirm(token=token)
    except services.EmailConfirmationError:
        pass
    else:
        raise AssertionError("an inactive login must not be changed")
    user.refresh_from_db()
    assert user.email == "ancienne@example.org"


def test_password_reset_link_is_sent_only_to_an_address_of_the_account(db):
    user = UserFactory(email="")
    FamilyFactory(users=[user], email="famille@example.org")
    assert not services.password_reset_link_send(user=user, email="autre@example.org")
    assert not services.password_reset_link_send(user=user, email="")
    assert services.password_reset_link_send(user=user, email=" FAMILLE@example.org ")
    assert [m.to for m in mail.outbox] == [["famille@example.org"]]


def test_recovery_user_ignores_inactive_logins(db):
    UserFactory(username="parti", is_active=False)
    assert services.recovery_user("parti") is None
    assert services.recovery_user(" guide-absent ") is None
