"""The demo's mailboxes: mail to support@ opens cases in General, to billing@ in Billing.

Both take mail through the SMTP listener of `caseway run` (127.0.0.1:2525 by default);
neither polls IMAP, as the demo has no mail server to poll.
"""

from __future__ import annotations

from caseway.cli.demo.people import Cast
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
