import datetime

import factory
from django.utils import timezone

from accounts.models import Child, Family, StaffMembership, User
from portal.models import Message, Structure

TEST_PASSWORD = "Un-mot-de-passe-solide-42"


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Mairie de Ville{n}")
    slug = factory.Sequence(lambda n: f"ville{n}")
    contact_email = factory.LazyAttribute(lambda o: f"contact@{o.slug}.example.org")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    structure = factory.SubFactory(StructureFactory)
    title = factory.Sequence(lambda n: f"Information n°{n}")
    body = "La cantine sera fermée le vendredi."
    publish_from = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"parent{n}")
    first_name = "Denis"
    last_name = "GUIDE"
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family
        skip_postgeneration_save = True

    structure = factory.SubFactory(StructureFactory)
    number = factory.Sequence(lambda n: f"F{n:05d}")
    payer_name = factory.Sequence(lambda n: f"FAMILLE{n} Jean")
    quotient = 800
    email = factory.Sequence(lambda n: f"famille{n}@example.org")

    @factory.post_generation
    def users(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.users.add(*extracted)


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    family = factory.SubFactory(FamilyFactory)
    first_name = factory.Sequence(lambda n: f"Enfant{n}")
    last_name = "GUIDE"
    birth_date = datetime.date(2016, 5, 4)


class StaffMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMembership

    user = factory.SubFactory(UserFactory, is_staff=True)
    structure = factory.SubFactory(StructureFactory)
