"""After-commit event bus.

Services `publish()` frozen dataclasses; handlers subscribed by event type run after the
surrounding transaction commits (at once when there is none). A handler that raises is
logged and does not stop the others: the write it reacts to has already committed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction

logger = logging.getLogger(__name__)

E = TypeVar("E")
Handler = Callable[[Any], None]

_handlers: dict[type, list[Handler]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Register a named handler for an event type (call from an AppConfig.ready())."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def unsubscribe(event_type: type, handler: Handler) -> None:
    if handler in _handlers[event_type]:
        _handlers[event_type].remove(handler)


def handlers_for(event_type: type) -> list[Handler]:
    return list(_handlers.get(event_type, ()))


def publish(event: object, *, using: str | None = None) -> None:
    """Dispatch the event to its handlers once the current transaction commits."""
    transaction.on_commit(lambda: dispatch(event), using=using)


def dispatch(event: object) -> None:
    for handler in handlers_for(type(event)):
        try:
            handler(event)
        except Exception:
            logger.exception("handler %s failed for %r", handler.__qualname__, event)
