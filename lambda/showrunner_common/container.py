"""What a Lambda container builds once and keeps: clients, keys, caches; and the answer when it cannot."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

from showrunner_common.responses import error

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")


class NotConfiguredError(ValueError):
    """The function's environment is missing or invalid: its requests are answered 503 ``not_configured``."""


class Service(Protocol):
    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]: ...


class PerContainer(Generic[T]):
    """``build()``'s result, made on the first request of the container and kept for the next ones.

    Thread-safe (one build even if two threads ask at once). A build that raises is not kept:
    the next request tries again. ``reset()`` forgets it (tests: a fresh container).
    """

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
                value = self._value
        return value

    def reset(self) -> None:
        self._value = None


def serve(service: PerContainer[Any], event: Mapping[str, Any], what: str) -> dict[str, Any]:
    """``service``'s answer to ``event``; 503 ``not_configured`` ("<what> is not configured") while the
    container's environment cannot build it (logged, with the reason, on each request)."""
    try:
        built: Service = service.get()
    except NotConfiguredError as exc:
        LOGGER.error("misconfigured: %s", exc)
        return error(503, "not_configured", f"{what} is not configured")
    return built.handle(event)
