import factory

from accounts.tests.factories import StructureFactory
from billing.models import ProviderConfig
from billing.tests.payments.systempay import SITE_ID, TEST_KEY


class ProviderConfigFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderConfig

    structure = factory.SubFactory(StructureFactory)
    kind = ProviderConfig.Kind.SYSTEMPAY
    identifier = SITE_ID
    secret_test = TEST_KEY
    secret_production = "PRODKEY0987654321"
    service_url = "http://127.0.0.1:9/vads-payment/"
