"""Adapters registered by channel kind; the only place that maps a channel to its code."""

from __future__ import annotations

from typing import Protocol

from caseway.connectors.exceptions import NoAdapter
from caseway.connectors.messages import DeliveryReceipt, OutboundMessage


class Adapter(Protocol):
    kinds: tuple[str, ...]

    def send(self, message: OutboundMessage) -> DeliveryReceipt: ...


_adapters: dict[str, Adapter] = {}


def register(adapter: Adapter) -> None:
    for kind in adapter.kinds:
        _adapters[kind] = adapter


def adapter_for(kind: str) -> Adapter:
    """The channel's adapter; NoAdapter when none is registered or it is not configured."""
    if not has_adapter(kind):
        raise NoAdapter(kind)
    return _adapters[kind]


def has_adapter(kind: str) -> bool:
    """Whether a reply can go out on this channel: an adapter is registered and, if it
    tells (an optional is_configured() method, e.g. API credentials set), it is configured."""
    adapter = _adapters.get(kind)
    if adapter is None:
        return False
    is_configured = getattr(adapter, "is_configured", None)
    return bool(is_configured()) if callable(is_configured) else True


def registered_kinds() -> list[str]:
    """Channels a reply can go out on, in registration order."""
    return list(_adapters)


def address_kind_for(kind: str) -> str:
    """The kind of address the channel's adapter sends to ("" when any of the contact's
    usual addresses will do)."""
    return str(getattr(_adapters.get(kind), "address_kind", ""))
