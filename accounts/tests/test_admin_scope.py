"""Staff of one structure can name another structure's rows nowhere in the admin.

The matrix walks `admin.site._registry`, so an admin registered later is covered without a
line here. As staff of Alpha (scope_world), for every admin: its lists and pages show nothing
of Ypsilon; every relation field of its add and change forms and of their inlines refuses each
Ypsilon row (and accepts an Alpha one: the control); its actions given Ypsilon ids change
nothing; its sidebar filters given Ypsilon ids show nothing; and every relation field of the
project, asked through /admin/autocomplete/, offers no Ypsilon row. Each refusal also checks
that the database is unchanged.
"""
import io

import openpyxl
import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.admin_scope import StructureScopedAdmin, has_scope_rule
from accounts.tests.scope_world import MARKER, build_world

PROJECT_APPS = ("portal", "accounts", "billing", "reservations", "notifications")
# Admins staff may not use at all, and why; every other admin must be a StructureScopedAdmin.
SUPERUSER_ONLY = {
    Group: "groups and permissions are the superuser's (sync_staff_group); the staff group has no auth rights",
    TOTPDevice: "second-factor devices: staff enrol their own on the 'Deuxième facteur' page; only a superuser "
                "resets someone's (the staff group has no otp rights)",
}
ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
STAFF_ADMINS = [(model, model_admin) for model, model_admin in ADMINS if model not in SUPERUSER_ONLY]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _label(item):
    return item[0]._meta.label


def _autocomplete_sources():
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete) or field.auto_created:
                continue
            target_admin = admin.site._registry.get(field.related_model)
            if target_admin is not None and target_admin.search_fields:
                yield model, field


AUTOCOMPLETE_SOURCES = list(_autocomplete_sources())


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def staff(client, world):
    client.force_login(world.staff)
    return client


@pytest.fixture
def staff_request(world):
    request = RequestFactory().get("/admin/")
    request.user = world.staff
    return request


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def snapshot() -> dict:
    """Every row of the project's tables (and auth's), to prove a refusal changed nothing."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in (*PROJECT_APPS, "auth")
    }


def readable(response) -> str:
    if response.get("Content-Type", "").startswith(XLSX):
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return " ".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row if cell)
    return response.content.decode(errors="replace")


def assert_nothing_of_ypsilon(response):
    assert response.status_code < 500
    assert MARKER not in readable(response).lower()


def relation_fields(form, skip=()):
    return [(name, field) for name, field in form.fields.items()
            if isinstance(field, forms.ModelChoiceField) and name not in skip]


def management_data(page) -> dict:
    """Empty inline formsets: enough for the forms to be validated, nothing to save in them."""
    data = {}
    for inline in page.context.get("inline_admin_formsets", []):
        prefix = inline.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0",
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
    return data


def error_codes(form, name) -> set[str]:
    return {error.code for error in form.errors.as_data().get(name, [])}


def _value(field, pk):
    return [pk] if isinstance(field, forms.ModelMultipleChoiceField) else pk


def _form_pages(model, model_admin, world, staff_request):
    """The add page and the change page of one Alpha row, where staff have the permission."""
    if model_admin.has_add_permission(staff_request):
        yield admin_url(model, "add")
    own = [obj for obj in world.rows["alpha"] if type(obj) is model]
    if own and model_admin.has_change_permission(staff_request, own[0]):
        yield admin_url(model, "change", own[0].pk)


def test_every_admin_is_scoped_or_kept_for_superusers():
    unscoped = [model._meta.label for model, model_admin in ADMINS
                if not isinstance(model_admin, StructureScopedAdmin) and model not in SUPERUSER_ONLY]
    assert unscoped == [], "scope these admins (StructureScopedAdmin) or list them in SUPERUSER_ONLY with a reason"


@pytest.mark.parametrize("model", list(SUPERUSER_ONLY), ids=lambda model: model._meta.label)
def test_superuser_only_admins_refuse_staff(staff, model):
    assert staff.get(admin_url(model, "changelist")).status_code == 403
    assert staff.get(admin_url(model, "add")).status_code == 403


@pytest.mark.parametrize("item", STAFF_ADMINS, ids=_label)
def test_lists_search_and_pages_show_nothing_of_the_other_structure(staff, world, item):
    model, model_admin = item
    changelist = admin_url(model, "changelist")
    page = staff.get(changelist)
    assert page.status_code == 200
    assert_nothing_of_ypsilon(page)
    foreign = world.ids("ypsilon", model)
    assert foreign, f"scope_world has no Ypsilon row of {model._meta.label}: add one"
    if model_admin.search_fields:  # the page repeats the term: look at the rows found instead
        found = staff.get(changelist, {"q": MARKER}).context["cl"].result_list
        assert not {row.pk for row in found} & set(foreign)
    before = snapshot()
    for pk in foreign:
        for view in ("change", "delete", "history"):
            assert_nothing_of_ypsilon(staff.get(admin_url(model, view, pk), follow=True))
        staff.post(admin_url(model, "change", pk), {"_save": "1"})
        staff.post(admin_url(model, "delete", pk), {"post": "yes"})
    assert snapshot() == before


@pytest.mark.parametrize("item", STAFF_ADMINS, ids=_label)
def test_every_relation_field_of_forms_and_inlines_refuses_the_other_structure(staff, world, staff_request, item):
    model, model_admin = item
    for url in _form_pages(model, model_admin, world, staff_request):
        page = staff.get(url)
        assert page.status_code == 200, url
        empty_inlines = management_data(page)
        for name, field in relation_fields(page.context["adminform"].form):
            _check_field(staff, world, url, empty_inlines, name, field, lambda response: response.context["adminform"].form)
        for inline in page.context.get("inline_admin_formsets", []):
            formset = inline.formset
            prefix = formset.prefix

            def inline_form(response, prefix=prefix):
                bound = next(i for i in response.context["inline_admin_formsets"] if i.formset.prefix == prefix)
                return bound.formset.forms[0]

            for name, field in relation_fields(formset.empty_form, skip={formset.model._meta.pk.name}):
                data = {**empty_inlines, f"{prefix}-TOTAL_FORMS": "1"}
                _check_field(staff, world, url, data, f"{prefix}-0-{name}", field, inline_form, name=name,
                             refusal_expected=inline.has_add_permission)


def _check_field(staff, world, url, data, key, field, bound_form, name=None, refusal_expected=True):
    name = name or key
    target = field.queryset.model
    assert has_scope_rule(target), f"{url} {name}: {target._meta.label} has no way to a structure"
    foreign, own = world.ids("ypsilon", target), world.ids("alpha", target)
    assert foreign and own, f"scope_world needs an Alpha and a Ypsilon row of {target._meta.label}"
    for pk in foreign:
        before = snapshot()
        response = staff.post(url, {**data, key: _value(field, pk)})
        assert snapshot() == before, f"{url} {name}={pk} changed the database"
        if refusal_expected:
            assert response.status_code == 200, f"{url} {name}={pk} was accepted"
            assert "invalid_choice" in error_codes(bound_form(response), name), f"{url} {name}={pk} not refused"
        assert_nothing_of_ypsilon(response)
    if refusal_expected:  # control: the same field takes a row of the staff member's own structure
        response = staff.post(url, {**data, key: _value(field, own[0])})
        if response.status_code == 200:
            assert "invalid_choice" not in error_codes(bound_form(response), name), f"{url} {name}: own row refused"


@pytest.mark.parametrize("item", STAFF_ADMINS, ids=_label)
def test_actions_given_the_other_structure_rows_do_nothing(staff, world, staff_request, item):
    model, model_admin = item
    changelist = admin_url(model, "changelist")
    for action in model_admin.get_actions(staff_request):
        before = snapshot()
        response = staff.post(changelist, {"action": action, "_selected_action": world.ids("ypsilon", model),
                                           "index": "0", "post": "yes"}, follow=True)
        assert_nothing_of_ypsilon(response)
        assert snapshot() == before, f"action {action} changed the database"


def test_actions_control_own_rows_are_acted_upon(staff, world):
    """The harness sees an action's effect: on Alpha's rows the same posts do act."""
    from billing.models import Payment
    from reservations.models import Reservation

    response = staff.post(reverse("admin:billing_payment_changelist"), {
        "action": "export_xlsx", "_selected_action": world.ids("alpha", Payment), "index": "0"})
    assert "ALPHA Payeur" in readable(response)
    staff.post(reverse("admin:reservations_reservation_changelist"), {
        "action": "accept", "_selected_action": world.ids("alpha", Reservation), "index": "0"})
    assert world.first("alpha", Reservation).__class__.objects.get(pk=world.ids("alpha", Reservation)[0]).state \
        == Reservation.State.ACCEPTED


@pytest.mark.parametrize("item", STAFF_ADMINS, ids=_label)
def test_filters_and_editable_lists_given_the_other_structure_ids_change_nothing(staff, world, staff_request, item):
    model, model_admin = item
    changelist = admin_url(model, "changelist")
    for spec in model_admin.get_list_filter(staff_request):
        path = spec[0] if isinstance(spec, (tuple, list)) else spec
        if not isinstance(path, str):
            continue  # a SimpleListFilter: fixed choices, no ids
        last = get_fields_from_path(model, path)[-1]
        if not last.is_relation:
            continue
        lookup = f"{path}__{last.target_field.name}__exact"
        for pk in world.ids("ypsilon", last.related_model):
            assert_nothing_of_ypsilon(staff.get(changelist, {lookup: pk}, follow=True))
    if model_admin.list_editable:
        foreign = world.ids("ypsilon", model)
        data = {"form-TOTAL_FORMS": str(len(foreign)), "form-INITIAL_FORMS": str(len(foreign)), "_save": "1"}
        for index, pk in enumerate(foreign):
            data[f"form-{index}-id"] = pk
            data.update({f"form-{index}-{name}": "99" for name in model_admin.list_editable})
        before = snapshot()
        assert_nothing_of_ypsilon(staff.post(changelist, data, follow=True))
        assert snapshot() == before


@pytest.mark.parametrize("source", AUTOCOMPLETE_SOURCES, ids=lambda s: f"{s[0]._meta.label}.{s[1].name}")
def test_autocomplete_offers_only_the_staff_structures(staff, world, source):
    model, field = source
    target = field.related_model
    url = reverse("admin:autocomplete")
    params = {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": field.name}
    if target in SUPERUSER_ONLY:
        assert staff.get(url, {**params, "term": ""}).status_code == 403
        return
    foreign = set(world.ids("ypsilon", target))
    for term in ("", MARKER):
        response = staff.get(url, {**params, "term": term})
        assert response.status_code == 200
        offered = {int(result["id"]) for result in response.json()["results"]}
        assert offered.isdisjoint(foreign), f"{term!r} offered {offered & foreign}"
        if term == "":  # control: the staff member's own rows are offered
            assert set(world.ids("alpha", target)) <= offered


@pytest.mark.parametrize("as_superuser", [False, True], ids=["staff", "superuser"])
@pytest.mark.parametrize("model_label,field", [("reservations.Enrolment", "child"), ("billing.Consumption", "family"),
                                               ("billing.Payment", "family"), ("accounts.Family", "users")])
def test_a_value_that_is_not_even_an_id_in_an_autocomplete_field_is_a_form_error(client, world, model_label, field,
                                                                                 as_superuser):
    """Django's autocomplete widget looked the value up to show it again: ValueError, a 500."""
    from accounts.tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True) if as_superuser else world.staff)
    model = apps.get_model(model_label)
    url = admin_url(model, "add")
    page = client.get(url)
    for garbage in ("abc", "1;DROP", "99999999999999999999999", "-1", "%00"):
        response = client.post(url, {**management_data(page), field: garbage})
        assert response.status_code == 200
        assert error_codes(response.context["adminform"].form, field) & {"invalid_choice", "invalid_pk_value"}


def test_an_inline_autocomplete_field_given_garbage_is_a_form_error(staff, world):
    from reservations.models import Activity

    url = admin_url(Activity, "change", world.ids("alpha", Activity)[0])
    data = {**management_data(staff.get(url)), "enrolments-TOTAL_FORMS": "1", "enrolments-0-child": "abc"}
    response = staff.post(url, data)
    assert response.status_code == 200
    inline = next(i for i in response.context["inline_admin_formsets"] if i.formset.prefix == "enrolments")
    assert "invalid_choice" in error_codes(inline.formset.forms[0], "child")
