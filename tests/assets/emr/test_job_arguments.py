"""Both jobs check their arguments before they start Spark: bad input exits 2 with a message."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
import recommendations
import showrunner_events
import trending

MAINS: dict[str, Callable[[Sequence[str] | None], None]] = {
    "trending": trending.main,
    "recommendations": recommendations.main,
}


def test_defaults():
    args = showrunner_events.parse_args("x", ["--events", "s3://lake/events/", "--output", "s3://lake/trending/"])
    assert (args.events, args.output, args.top_n) == ("s3://lake/events/", "s3://lake/trending/", 10)


@pytest.mark.parametrize("job", MAINS)
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: --events, --output"),
        (["--events", "in"], "the following arguments are required: --output"),
        (["--events", "", "--output", "out"], "argument --events: must not be empty"),
        (["--events", "in", "--output", "out", "--top-n", "0"], "argument --top-n: must be between 1 and 1000, got 0"),
        (["--events", "in", "--output", "out", "--top-n", "1001"], "must be between 1 and 1000, got 1001"),
        (
            ["--events", "in", "--output", "out", "--top-n", "ten"],
            "argument --top-n: must be a whole number, got 'ten'",
        ),
        (["--events", "s3://b/events/", "--output", "s3://b/events"], "--output must differ from --events"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(job: str, argv: list[str], message: str, capsys):
    with pytest.raises(SystemExit) as exited:
        MAINS[job](argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
