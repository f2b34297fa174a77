"""EventBridge rules whose target is a Step Functions state machine: moto raises for such a target.

moto's ``Rule.send_to_targets`` delivers to logs, SQS, archives and event buses, and raises
``NotImplementedError`` for any other target, which also stops delivery to the targets after it.
With ``install_state_machine_targets()``, an event a rule matches for a state machine target is
recorded in ``STARTED`` (what ``StartExecution`` would have received), and the other targets
still get theirs. Running the execution is up to the caller (``tools/developer/stepfunctions``).
A rule without an event pattern (a schedule) matches no event, as in EventBridge; moto matched
every event to it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from moto.events.models import Rule
from moto.utilities.arns import parse_arn


@dataclass(frozen=True)
class StartedExecution:
    rule: str
    state_machine_arn: str
    input: dict[str, Any]


STARTED: list[StartedExecution] = []
_installed = False


def install_state_machine_targets() -> None:
    global _installed
    if _installed:
        return
    original = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        if not self.event_pattern.get_pattern():
            return  # a schedule: EventBridge matches no event to it (moto matched every event)
        machines = [t for t in self.targets if parse_arn(t["Arn"]).service == "states"]
        if not machines:
            original(self, original_event, transform_input)
            return
        if not self.event_pattern.matches_event(original_event):
            return
        others = [t for t in self.targets if t not in machines]
        saved = self.targets
        self.targets = others
        try:
            original(self, original_event, transform_input)
        finally:
            self.targets = saved
        for target in machines:
            if "Input" in target or "InputPath" in target or "InputTransformer" in target:
                raise NotImplementedError(f"rule {self.name}: only whole-event state machine targets are modelled")
            STARTED.append(StartedExecution(self.name, target["Arn"], copy.deepcopy(dict(original_event))))

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]
    _installed = True
