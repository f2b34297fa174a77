"""The README's example outputs, to check against what the commands print."""

from __future__ import annotations

from tests.support.synth import ROOT

README = ROOT / "README.md"


def readme_block(first_line_start: str) -> list[str]:
    """The lines of the README's fenced block whose first line starts with ``first_line_start``."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current.append(line)
    (block,) = [b for b in blocks if b and b[0].startswith(first_line_start)]
    return block


def shown_in_order(shown: list[str], printed: list[str]) -> list[str]:
    """The README lines (``...`` elides) that the output does not print, in the same order."""
    remaining = iter(printed)
    return [line for line in shown if line != "..." and line not in remaining]
