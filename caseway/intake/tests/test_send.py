import pytest
from django.core.management import call_command

from caseway.cases.models import DeliveryStatus
from caseway.connectors import registry
from caseway.connectors.exceptions import ConnectorError
from caseway.connectors.messages import DeliveryReceipt
from caseway.intake.services import receive, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(make_message, customer):
    return receive(make_message(channel="portal")).case


def test_reply_on_the_portal_is_delivered_by_the_worker(
    case, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        activity = send(case=case, agent=agent, text="Here is the fix")
    activity.refresh_from_db()
    assert activity.channel == "portal"
    assert activity.delivery_status == DeliveryStatus.DELIVERED


def test_reply_to_a_channel_without_adapter_defaults_to_the_portal(
    make_message, customer, agent, django_capture_on_commit_callbacks
):
    case = receive(make_message(channel="facebook")).case
    with django_capture_on_commit_callbacks(execute=True):
        activity = send(case=case, agent=agent, text="Hello")
    activity.refresh_from_db()
    assert (activity.channel, activity.delivery_status) == ("portal", DeliveryStatus.DELIVERED)


def test_reply_on_a_chosen_channel_without_adapter_is_marked_failed_not_lost(
    make_message, customer, agent, django_capture_on_commit_callbacks
):
    case = receive(make_message(channel="facebook")).case
    with django_capture_on_commit_callbacks(execute=True):
        activity = send(case=case, agent=agent, text="Hello", channel="facebook")
    activity.refresh_from_db()
    assert activity.delivery_status == DeliveryStatus.FAILED
    assert "no adapter" in activity.data["delivery_detail"]
    assert activity.text == "Hello"


class RecordingAdapter:
    kinds = ("sms",)

    def __init__(self, fail: bool = False) -> None:
        self.sent = []
        self.fail = fail

    def send(self, message):
        if self.fail:
            raise ConnectorError("carrier said no")
        self.sent.append(message)
        return DeliveryReceipt(status="sent", provider_id="SM123")


@pytest.fixture
def sms_adapter():
    adapter = RecordingAdapter()
    registry.register(adapter)
    yield adapter
    registry._adapters.pop("sms", None)


def test_reply_goes_to_the_adapter_of_the_case_channel(
    make_message, customer, agent, sms_adapter, django_capture_on_commit_callbacks
):
    from caseway.connectors.messages import Sender

    case = receive(
        make_message(channel="sms", sender=Sender(kind="phone", address="+15550100"))
    ).case
    with django_capture_on_commit_callbacks(execute=True):
        activity = send(case=case, agent=agent, text="Your order shipped")
    activity.refresh_from_db()
    (message,) = sms_adapter.sent
    assert message.to.address == "+15550100"
    assert message.reference == case.number
    assert (activity.delivery_status, activity.provider_id) == ("sent", "SM123")


def test_provider_error_is_recorded(
    make_message, customer, agent, django_capture_on_commit_callbacks
):
    from caseway.connectors.messages import Sender

    registry.register(RecordingAdapter(fail=True))
    try:
        case = receive(
            make_message(channel="sms", sender=Sender(kind="phone", address="+15550101"))
        ).case
        with django_capture_on_commit_callbacks(execute=True):
            activity = send(case=case, agent=agent, text="hi")
    finally:
        registry._adapters.pop("sms", None)
    activity.refresh_from_db()
    assert activity.delivery_status == DeliveryStatus.FAILED
    assert activity.data["delivery_detail"] == "carrier said no"


@pytest.mark.django_db(transaction=True)
def test_database_task_queue_delivers_once_even_if_run_twice(
    make_message, customer, agent, settings
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    case = receive(make_message(channel="portal")).case
    activity = send(case=case, agent=agent, text="queued reply")
    activity.refresh_from_db()
    assert activity.delivery_status == DeliveryStatus.PENDING
    call_command("db_worker", "--batch", "--no-startup-delay")
    activity.refresh_from_db()
    assert activity.delivery_status == DeliveryStatus.DELIVERED

    from caseway.intake.tasks import deliver_reply

    assert deliver_reply.call(activity.pk) == DeliveryStatus.DELIVERED


def test_a_kiosk_visitor_gets_replies_at_the_address_they_left(make_message, customer):
    from caseway.connectors.messages import Sender
    from caseway.intake.services import reply_channel_for

    by_email = receive(make_message(channel="kiosk")).case
    assert reply_channel_for(by_email) == "email"
    phone_only = receive(
        make_message(channel="kiosk", sender=Sender(kind="phone", address="+15550009999"))
    ).case
    # SMS needs Twilio's settings; without them the reply stays on the kiosk's timeline.
    assert reply_channel_for(phone_only) == "kiosk"
