"""What a Lambda container builds once and keeps: clients, keys, caches."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


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
