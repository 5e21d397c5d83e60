"""The portal, the REST API (the customer's own app) and the kiosk.

Inbound arrives as forms and JSON already authenticated by Django, so there is no signature
to verify; a reply is "delivered" by being stored on the public timeline the customer reads.
"""

from __future__ import annotations

from caseway.connectors.messages import DeliveryReceipt, OutboundMessage
from caseway.core.kinds import ChannelKind


class PortalAdapter:
    kinds: tuple[str, ...] = (ChannelKind.PORTAL, ChannelKind.API, ChannelKind.KIOSK)

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        return DeliveryReceipt(status="delivered", detail="shown on the customer's timeline")
