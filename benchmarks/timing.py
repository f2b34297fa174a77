"""What the benchmarks share: interleaved side-by-side timing and its report."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Target:
    description: str
    ratio: float
    limit: float
    at_most: bool  # True: ratio <= limit; False: ratio >= limit

    @property
    def met(self) -> bool:
        return self.ratio <= self.limit if self.at_most else self.ratio >= self.limit


def print_targets(targets: list[Target]) -> bool:
    """One line per target with its verdict; True when every target is met."""
    print("targets")
    for target in targets:
        sign = "<=" if target.at_most else ">="
        verdict = "met" if target.met else "MISSED"
        print(f"  {target.description:<52} {target.ratio:7.2f}x  (target {sign} {target.limit}x)  {verdict}")
    return all(target.met for target in targets)


@dataclass
class Result:
    name: str
    medians: dict[str, float]  # contender -> median seconds


def side_by_side(name: str, contenders: dict[str, Callable[[], Any]], rounds: int) -> Result:
    """Median time of each contender, calling each once per round in a rotating order."""
    for contender in contenders.values():
        contender()  # warm up: caches, lazy imports, allocator
    samples_: dict[str, list[float]] = {key: [] for key in contenders}
    names = list(contenders)
    gc.collect()  # once per group: a collection before every call would flush the caches it measures
    for round_number in range(rounds):
        for key in names[round_number % len(names) :] + names[: round_number % len(names)]:
            start = time.perf_counter()
            contenders[key]()
            samples_[key].append(time.perf_counter() - start)
    return Result(name, {key: statistics.median(values) for key, values in samples_.items()})


def format_seconds(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:9.2f} s "
    return f"{seconds * 1e6:9.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:9.3f} ms"


def print_result(result: Result) -> None:
    """Each contender's median and its ratio to the fastest."""
    print(result.name)
    fastest = min(result.medians.values())
    for name, median in result.medians.items():
        print(f"  {name:<34} {format_seconds(median)}   {median / fastest:7.2f}x the fastest")
    print()
