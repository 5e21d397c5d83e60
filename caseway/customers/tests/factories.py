import factory
from django.contrib.auth import get_user_model

from caseway.core.kinds import AddressKind
from caseway.customers.models import Account, AccountSize, Contact, Identity


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Faker("company")
    size = AccountSize.SMALL


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@example.org")


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identity

    contact = factory.SubFactory(ContactFactory)
    kind = AddressKind.EMAIL
    address = factory.LazyAttribute(lambda i: i.contact.email)
