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
    try:
        return _adapters[kind]
    except KeyError:
        raise NoAdapter(kind) from None


def has_adapter(kind: str) -> bool:
    return kind in _adapters


def registered_kinds() -> list[str]:
    """Channels a reply can go out on, in registration order."""
    return list(_adapters)


def address_kind_for(kind: str) -> str:
    """The kind of address the channel's adapter sends to ("" when any of the contact's
    usual addresses will do)."""
    return str(getattr(_adapters.get(kind), "address_kind", ""))
