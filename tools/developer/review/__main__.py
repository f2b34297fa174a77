"""``make review``: synthesize, then write docs/review/<env>.md with its diagram; or diff two reviews.

    python -m tools.developer.review [--env dev] [--no-synth]        write the reviews
    python -m tools.developer.review --diff dev prod                  two environments
    python -m tools.developer.review --diff-committed [--env dev]     working tree vs the last committed review

Progress goes to stderr, the summary to stdout. Exits 1 when any environment
has unreviewed failures or a diff finds differences; a failed synth or an
empty assembly also exits non-zero, with the reason.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from stacks.names import ENVIRONMENT_NAMES
from tools.developer.assembly import StackArtifact, load_stacks
from tools.developer.review import diff, findings, report
from tools.developer.review.cost import PriceTable
from tools.developer.review.model import Review, build_review

ROOT = Path(__file__).resolve().parents[3]


class Progress:
    """``[2/6] cfn-lint on 4 templates ... 3.1 s`` lines on stderr while the review runs."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total, self.done, self.stream = total, 0, stream or sys.stderr

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        self.done += 1
        self.stream.write(f"[{self.done}/{self.total}] {text} ...")
        self.stream.flush()
        started = time.monotonic()
        try:
            yield
        except BaseException:
            self.stream.write(" failed\n")
            raise
        self.stream.write(f" {time.monotonic() - started:.1f} s\n")
        self.stream.flush()


def synthesize(cdk: str, outdir: Path) -> None:
    """``cdk synth '**'`` into ``outdir``; a cdk-nag failure still leaves an assembly to review."""
    if outdir.exists():
        if not (outdir / "manifest.json").exists():
            raise SystemExit(f"refusing to replace {outdir}: it is not a cloud assembly")
        shutil.rmtree(outdir)
    completed = subprocess.run(  # noqa: S603 - our CDK CLI and app
        [cdk, "synth", "**", "--quiet", "--output", str(outdir)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0 and not (outdir / "manifest.json").exists():
        raise SystemExit(f"cdk synth failed:\n{completed.stderr[-3000:]}")


def _reviews(envs: list[str], outdir: Path, progress: Progress, stacks: list[StackArtifact]) -> dict[str, Review]:
    selected = [s for s in stacks if s.stage in envs]
    with progress.step(f"checkov on {len(selected)} templates"):
        checkov = findings.run_checkov(selected)
    prices = PriceTable.load()
    reviews = {}
    for env in envs:
        with progress.step(f"{env}: inventory, IAM, cfn-lint, data safety, cost, diagram"):
            reviews[env] = build_review(env, stacks, outdir, checkov, prices)
    return reviews


def _summary(reviews: dict[str, Review], written: list[Path]) -> str:
    header = (
        f"{'env':<9}{'stacks':>7}{'resources':>11}{'roles':>7}{'flagged':>9}{'unreviewed':>12}{'$/month (est.)':>16}"
    )
    lines = ["", header, "-" * len(header)]
    for env, review in reviews.items():
        flagged = sum(1 for role in review.roles if role.flags)
        lines.append(
            f"{env:<9}{len(review.inventory):>7}{review.resource_count:>11}{len(review.roles):>7}{flagged:>9}"
            f"{review.findings.unreviewed:>12}{review.cost.monthly:>16,.2f}"
        )
    date = next(iter(reviews.values())).cost.table.date if reviews else "?"
    lines.append(f"(idle-cost floor at list prices of {date}; an estimate, see the reports)")
    if written:
        lines.append("")
        lines.extend(f"wrote {path} ({path.stat().st_size:,} bytes)" for path in written)
    return "\n".join(lines)


def _write(reviews: dict[str, Review], docs: Path, progress: Progress) -> list[Path]:
    docs.mkdir(parents=True, exist_ok=True)
    written = []
    for env, review in reviews.items():
        with progress.step(f"{env}: writing the report and rendering the diagram"):
            svg, png, markdown = docs / f"{env}.svg", docs / f"{env}.png", docs / f"{env}.md"
            review.diagram.render(svg, png)
            markdown.write_text(report.render(review, env), encoding="utf-8")
            written += [markdown, svg, png]
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", action="append", choices=ENVIRONMENT_NAMES, help="repeatable; default: all")
    parser.add_argument("--outdir", type=Path, default=ROOT / "cdk.out")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "review")
    parser.add_argument("--cdk", default=str(ROOT / "node_modules" / ".bin" / "cdk"))
    parser.add_argument("--no-synth", action="store_true", help="review the assembly already in --outdir")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--diff", nargs=2, metavar=("FROM", "TO"), choices=ENVIRONMENT_NAMES)
    mode.add_argument("--diff-committed", action="store_true")
    args = parser.parse_args(argv)

    envs = list(args.diff) if args.diff else (args.env or list(ENVIRONMENT_NAMES))
    progress = Progress(
        total=(0 if args.no_synth else 1) + 1 + len(envs) + (0 if args.diff or args.diff_committed else len(envs))
    )
    if not args.no_synth:
        with progress.step("cdk synth '**' (all stages, with cdk-nag)"):
            synthesize(args.cdk, args.outdir)
    stacks = load_stacks(args.outdir)
    if not stacks:
        print(f"no stacks in {args.outdir}", file=sys.stderr)
        return 2
    reviews = _reviews(envs, args.outdir, progress, stacks)

    if args.diff:
        old, new = args.diff
        rows_old, rows_new = report.summary_rows(reviews[old]), report.summary_rows(reviews[new])
        width = max(len(value) for _, value in rows_old) + 2
        print(f"{'':<26}{old:<{width}}{new}")
        for (name, a), (_, b) in zip(rows_old, rows_new, strict=True):
            print(f"{name.strip('*'):<26}{a.strip('*'):<{width}}{b.strip('*')}")
        print()
        text, changed = diff.diff_reports(
            diff.normalize(report.render(reviews[old], "<env>"), old),
            diff.normalize(report.render(reviews[new], "<env>"), new),
            old,
            new,
        )
        print(text)
        return 1 if changed else 0
    if args.diff_committed:
        changed_total = 0
        for env, review in reviews.items():
            path = args.docs / f"{env}.md"
            before = diff.committed(path, ROOT)
            if before is None:
                print(f"{env}: no committed review at {path}; 'make review ENV={env}' writes one\n")
                continue
            text, changed = diff.diff_reports(
                before, report.render(review, env), f"{env} (HEAD)", f"{env} (working tree)"
            )
            changed_total += changed
            print(text)
        return 1 if changed_total else 0

    written = _write(reviews, args.docs, progress)
    print(_summary(reviews, written))
    unreviewed = sum(review.findings.unreviewed for review in reviews.values())
    if unreviewed:
        print(
            f"\n{unreviewed} unreviewed failures: fix them, or acknowledge each with its reason beside its "
            "stack (stacks/compliance.py)"
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
