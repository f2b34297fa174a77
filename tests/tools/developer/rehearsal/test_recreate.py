"""`make rehearse ENV=prod RECREATE=1`: prod deployed again after a teardown, next to the data it retained.

A module of its own, so that pytest-xdist can run it beside the other rehearsals.
"""

from __future__ import annotations

import pytest

from tests.support.synth import Synthesized
from tools.developer.rehearsal.rehearse import rehearse


@pytest.mark.cli
def test_rehearse_prod_recreate_deploys_again_next_to_what_prod_retained(synthesized: Synthesized):
    """After `make destroy ENV=prod` the retained data stays; a new prod must not collide with it by name."""
    lines: list[str] = []
    rehearsal = rehearse("prod", synthesized.outdir, recreate=True, progress=lines.append)
    resources = sum(len(s.resources) for s in synthesized.stacks if s.stage == "prod")
    assert f"recreate: {resources} resources created again in {rehearsal.recreate_seconds:.1f} s" in lines
    teardowns = [line.split("retained as the templates say: ", 1)[1] for line in lines if line.startswith("teardown: ")]
    assert len(teardowns) == 2
    # Each deployment retains its own stream, WAF log group and replica bucket, under a name of its own.
    for prefix in (
        "kinesis-stream prod-player-events-",
        "log-group aws-waf-logs-showrunner-prod-",
        "bucket showrunner-prod-replica-",
    ):
        first, second = ({item for item in t.split(", ") if item.startswith(prefix)} for t in teardowns)
        assert len(first) == len(second) == 1
        assert first != second
