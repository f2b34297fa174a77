"""PerContainer: one build per container, none kept when it fails, forgotten on reset."""

from __future__ import annotations

import threading
import time

import pytest
from showrunner_common.container import PerContainer


def test_built_once_and_kept():
    builds: list[int] = []

    def build() -> int:
        builds.append(1)
        return len(builds)

    kept = PerContainer(build)
    assert [kept.get() for _ in range(3)] == [1, 1, 1]
    assert builds == [1]


def test_two_threads_asking_at_once_get_one_build():
    started = threading.Event()
    builds: list[object] = []

    def slow_build() -> object:
        started.set()
        time.sleep(0.05)  # the second thread arrives while the first builds
        builds.append(object())
        return builds[-1]

    kept = PerContainer(slow_build)
    results: list[object] = []
    first = threading.Thread(target=lambda: results.append(kept.get()))
    first.start()
    started.wait(5)
    second = threading.Thread(target=lambda: results.append(kept.get()))
    second.start()
    first.join(5)
    second.join(5)
    assert len(builds) == 1
    assert results == [builds[0], builds[0]]


def test_a_failed_build_is_tried_again_and_reset_forgets():
    attempts: list[int] = []

    def build() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("the secret is not readable yet")
        return len(attempts)

    kept = PerContainer(build)
    with pytest.raises(RuntimeError, match="not readable"):
        kept.get()
    assert kept.get() == 2
    kept.reset()
    assert kept.get() == 3
