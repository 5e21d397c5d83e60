"""The demo's mailboxes: mail to support@ opens cases in General, to billing@ in Billing.

Both take mail through the SMTP listener of `caseway run` (127.0.0.1:2525 by default);
neither polls IMAP, as the demo has no mail server to poll.
"""

from __future__ import annotations

from caseway.cases.models import Activity, ActivityKind, DeliveryStatus
from caseway.cli.demo.people import Cast
from caseway.core.kinds import ChannelKind
from caseway.intake.models import Mailbox

DEMO_DOMAIN = "caseway.localhost"


def create_mailboxes(cast: Cast) -> list[Mailbox]:
    return Mailbox.objects.bulk_create(
        [
            Mailbox(
                address=f"support@{DEMO_DOMAIN}",
                name="Caseway Support",
                queue=cast.queues["general"],
            ),
            Mailbox(
                address=f"billing@{DEMO_DOMAIN}",
                name="Caseway Billing",
                queue=cast.queues["billing"],
            ),
        ]
    )


def settle_demo_mail() -> int:
    """Mark the demo's email replies as sent without sending them (call inside the seed's
    transaction, before deliver_reply runs after commit): their recipients are made up, and
    a first start should neither print hundreds of emails on the console nor hand them to a
    configured relay. Returns how many there were."""
    return Activity.objects.filter(
        kind=ActivityKind.MESSAGE_OUT,
        channel=ChannelKind.EMAIL,
        delivery_status=DeliveryStatus.PENDING,
    ).update(
        delivery_status=DeliveryStatus.SENT,
        data={"delivery_detail": "demo data: not sent"},
    )
