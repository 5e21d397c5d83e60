import factory
from django.utils import timezone

from caseway.cases.models import Activity, ActivityKind, Case, Queue
from caseway.cases.queries import default_queue
from caseway.core.kinds import ChannelKind
from caseway.customers.tests.factories import ContactFactory


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Queue {n}")
    slug = factory.Sequence(lambda n: f"queue-{n}")

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.members.add(*extracted)


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    subject = factory.Faker("sentence", nb_words=5)
    origin_channel = ChannelKind.PORTAL
    contact = factory.SubFactory(ContactFactory)
    account = factory.LazyAttribute(lambda c: c.contact.account)
    queue = factory.LazyFunction(default_queue)
    last_activity_at = factory.LazyFunction(timezone.now)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    case = factory.SubFactory(CaseFactory)
    kind = ActivityKind.MESSAGE_IN
    channel = ChannelKind.PORTAL
    is_public = True
    author_contact = factory.LazyAttribute(lambda a: a.case.contact)
    text = factory.Faker("paragraph")
    created_at = factory.LazyFunction(timezone.now)
