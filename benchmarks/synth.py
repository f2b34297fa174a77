"""Synth: the whole three-stage app next to a one-stack, one-bucket CDK app, through the same CDK CLI.

    .venv/bin/python benchmarks/synth.py [--rounds 5]

Both apps run through ``node_modules/.bin/cdk synth --quiet`` with the same Python,
Node.js, feature flags and committed context, into a fresh output directory each
round (as ``make synth`` does), interleaved round by round. The Lambda bundles come
from the dependency cache that any earlier synth filled (``build/lambda-deps``), as
on a developer's machine. Then ``make synth`` itself (CLI synth, cdk-nag, cfn-lint and
the summary) is timed warm. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from benchmarks.timing import Target, print_result, print_targets, side_by_side  # noqa: E402

CDK = ROOT / "node_modules" / ".bin" / "cdk"
PYTHON = ROOT / ".venv" / "bin" / "python"
ONE_BUCKET_APP = """\
from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3

app = App()
s3.Bucket(Stack(app, "OneBucket"), "Bucket")
app.synth()
"""
RATIO_LIMIT = 3.0
MAKE_SYNTH_LIMIT_SECONDS = 15.0


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PATH"] = f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{env.get('PATH', '')}"
    env.update(AWS_EC2_METADATA_DISABLED="true", CDK_DISABLE_CLI_TELEMETRY="true")
    return env


def _synth(cwd: Path, outdir: Path, *selector: str) -> None:
    shutil.rmtree(outdir, ignore_errors=True)
    subprocess.run(  # noqa: S603 - our pinned CLI
        [str(CDK), "synth", *selector, "--quiet", "--output", str(outdir)],
        cwd=cwd,
        env=_environment(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _one_bucket_project(directory: Path) -> Path:
    """The baseline app, with this project's feature flags and context so both pay the same CLI overhead."""
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    context.update(json.loads((ROOT / "cdk.context.json").read_text()))
    settings = {"app": f"{PYTHON} app.py", "context": context, "notices": False, "cli-telemetry": False}
    (directory / "cdk.json").write_text(json.dumps(settings))
    (directory / "app.py").write_text(ONE_BUCKET_APP)
    return directory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"Synth benchmark: {os.cpu_count()} CPUs; medians of {args.rounds} interleaved rounds\n")
    with tempfile.TemporaryDirectory(prefix="showrunner-synth-bench-") as temp:
        scratch = Path(temp)
        (scratch / "one-bucket").mkdir()
        baseline = _one_bucket_project(scratch / "one-bucket")
        cli = side_by_side(
            "cdk synth through the same CLI (fresh output directory each round)",
            {
                "one stack, one bucket": lambda: _synth(baseline, scratch / "one.out"),
                "Showrunner, 3 stages ('**')": lambda: _synth(ROOT, scratch / "app.out", "**"),
            },
            rounds=args.rounds,
        )

        def make_synth() -> None:
            subprocess.run(  # noqa: S603 - fixed argv
                [shutil.which("make") or "make", "--no-print-directory", "synth", f"CDK_OUT={scratch / 'make.out'}"],
                cwd=ROOT,
                env=_environment(),
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        whole = side_by_side("make synth (warm: CLI synth, cdk-nag, cfn-lint, summary)", {"make synth": make_synth}, 3)
    for result in (cli, whole):
        print_result(result)
    one, app = cli.medians.values()
    seconds = whole.medians["make synth"]
    print(f"make synth, warm: {seconds:.1f} s (target <= {MAKE_SYNTH_LIMIT_SECONDS:.0f} s)\n")
    met = print_targets(
        [
            Target("Showrunner synth / one-bucket synth", app / one, RATIO_LIMIT, at_most=True),
            Target(
                f"make synth / {MAKE_SYNTH_LIMIT_SECONDS:.0f} s",
                seconds / MAKE_SYNTH_LIMIT_SECONDS,
                1.0,
                at_most=True,
            ),
        ]
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
