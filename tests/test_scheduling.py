"""How xdist splits the suite (tests/conftest.py): a module per worker at a time, e2e together, the longest first."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tests.conftest import LONGEST_SCOPES, _SuiteScheduling
from tests.support.synth import ROOT


class _Worker:
    """What the scheduler asks of a worker: it is told which of its collected tests to run."""

    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.shutting_down = False
        self.sent: list[int] = []

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.extend(indexes)

    def shutdown(self) -> None:
        self.shutting_down = True


def _handed_out(collection: list[str]) -> list[list[str]]:
    config: Any = SimpleNamespace(getvalue=lambda name: ["2*popen"], option=SimpleNamespace(loadscopereorder=True))
    scheduler = _SuiteScheduling(config, None)
    workers = [_Worker("gw0"), _Worker("gw1")]
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, collection)
    scheduler.schedule()
    return [[collection[index] for index in worker.sent] for worker in workers]


def test_the_longest_scopes_are_handed_out_first_and_e2e_stays_on_one_worker():
    collection = [
        "tests/functions/a/test_many.py::test_1",
        "tests/functions/a/test_many.py::test_2",
        "tests/functions/a/test_many.py::test_3",
        "tests/e2e/test_browser.py::test_plays",
        "tests/e2e/test_day_in_the_life.py::test_a_day",
        "tests/tools/developer/rehearsal/test_recreate.py::test_recreate",
        "tests/assets/emr/test_recommendations.py::test_rows",
    ]
    first, second = _handed_out(collection)
    # Without the ordering, xdist would hand out the three-test module first and the one-test rehearsal last.
    assert first[:2] == ["tests/e2e/test_browser.py::test_plays", "tests/e2e/test_day_in_the_life.py::test_a_day"]
    assert second[0] == "tests/assets/emr/test_recommendations.py::test_rows"
    assert "tests/tools/developer/rehearsal/test_recreate.py::test_recreate" in first[2:] + second[1:2]
    assert sorted(first + second) == sorted(collection)


def test_every_longest_scope_names_a_test_module_or_folder():
    missing = [scope for scope in LONGEST_SCOPES if not (ROOT / scope).exists()]
    assert missing == []
