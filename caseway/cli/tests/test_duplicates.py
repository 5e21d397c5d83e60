"""The demo's two people on two channels each become merge suggestions."""

from types import SimpleNamespace

import pytest

from caseway.cli.demo.duplicates import MERGERS, create_duplicates
from caseway.customers.merging import can_merge_contacts
from caseway.customers.models import MergeSuggestion
from caseway.customers.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_duplicates_are_suggested_and_the_agents_may_merge(default_queue):
    agents = {name: UserFactory(username=name, is_staff=True) for name in MERGERS}

    assert len(create_duplicates(SimpleNamespace(agents=agents))) == 4

    assert set(MergeSuggestion.objects.values_list("kind", "address")) == {
        ("phone", "+447700900999"),
        ("email", "jonas.berg@example.org"),
    }
    for user in agents.values():
        assert can_merge_contacts(type(user).objects.get(pk=user.pk))
