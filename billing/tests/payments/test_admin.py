"""The staff admin of online payment: keys are write-only, the dummy backend stays in development."""
import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.tests.factories import StaffMembershipFactory, UserFactory
from billing.models import ProviderConfig
from billing.tests.payments.factories import ProviderConfigFactory

SECRET = "SECRETKEYABCDEF123"


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _form(structure, **overrides):
    data = {"structure": structure.pk, "kind": "systempayv2", "is_active": "on", "identifier": "12345678",
            "secret_test": "", "secret_production": "", "signature_algo": "hmac_sha256", "service_url": "",
            "topup_min": "10.00", "topup_max": "300.00"}
    data.update(overrides)
    return data


def test_a_key_is_never_displayed_back_and_an_empty_field_keeps_it(superuser_client, family):
    config = ProviderConfigFactory(structure=family.structure, secret_test=SECRET, secret_production="PRODSECRET999")
    url = reverse("admin:billing_providerconfig_change", args=[config.pk])
    page = superuser_client.get(url)
    assert page.status_code == 200
    assert SECRET not in page.content.decode() and "PRODSECRET999" not in page.content.decode()
    response = superuser_client.post(url, _form(family.structure, topup_max="250.00"))
    assert response.status_code == 302
    config.refresh_from_db()
    assert (config.secret_test, config.secret_production, str(config.topup_max)) == (SECRET, "PRODSECRET999", "250.00")
    superuser_client.post(url, _form(family.structure, secret_test="NEWKEY42"))
    config.refresh_from_db()
    assert config.secret_test == "NEWKEY42"
    assert "NEWKEY42" not in superuser_client.get(reverse("admin:billing_providerconfig_changelist")).content.decode()


def test_a_systempay_configuration_needs_the_key_of_its_mode(superuser_client, family):
    response = superuser_client.post(reverse("admin:billing_providerconfig_add"), _form(family.structure))
    assert response.status_code == 200
    assert "secret_test" in response.context["adminform"].form.errors
    assert not ProviderConfig.objects.exists()


def test_an_identifier_of_the_wrong_shape_is_refused(superuser_client, family):
    response = superuser_client.post(reverse("admin:billing_providerconfig_add"),
                                     _form(family.structure, kind="payfip_ws", identifier="12345678"))
    assert "identifier" in response.context["adminform"].form.errors


def test_the_dummy_backend_is_refused_when_debug_is_off(superuser_client, family):
    response = superuser_client.post(reverse("admin:billing_providerconfig_add"),
                                     _form(family.structure, kind="dummy", identifier="demo"))
    assert response.status_code == 200
    assert "kind" in response.context["adminform"].form.errors
    with override_settings(DEBUG=True):
        response = superuser_client.post(reverse("admin:billing_providerconfig_add"),
                                         _form(family.structure, kind="dummy", identifier="demo"))
    assert response.status_code == 302
    assert ProviderConfig.objects.get().kind == "dummy"


def test_staff_see_attempts_read_only(client, family, provider, started):
    staff = UserFactory(username="agent", is_staff=True)
    StaffMembershipFactory(user=staff, structure=family.structure)
    client.force_login(staff)
    from accounts.services import staff_user_enrol
    staff_user_enrol(user=staff)
    page = client.get(reverse("admin:billing_paymentattempt_changelist"))
    assert page.status_code == 200 and started.attempt.reference in page.content.decode()
    assert client.get(reverse("admin:billing_paymentattempt_add")).status_code == 403
