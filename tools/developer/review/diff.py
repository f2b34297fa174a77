"""What changed between two reviews: two environments, or the working tree against the last committed review.

Reports are compared as text, section by section, after the environment's
name is replaced by ``<env>`` (so ``dev-Network`` and ``prod-Network`` line up).
"""

from __future__ import annotations

import difflib
import re
import subprocess
from pathlib import Path

_SECTION = re.compile(r"^## ")


def normalize(text: str, env: str) -> str:
    return re.sub(rf"(?<![A-Za-z0-9]){re.escape(env)}(?![A-Za-z0-9])", "<env>", text)


def _sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {"(top)": []}
    current = "(top)"
    for line in text.splitlines():
        if _SECTION.match(line):
            current = line[3:].strip()
            sections[current] = []
        sections[current].append(line)
    return sections


def diff_reports(old: str, new: str, old_label: str, new_label: str) -> tuple[str, int]:
    """A readable diff, section by section, and the number of changed lines."""
    old_sections, new_sections = _sections(old), _sections(new)
    names = list(dict.fromkeys([*old_sections, *new_sections]))
    out: list[str] = []
    changed_total = 0
    summary = []
    for name in names:
        before, after = old_sections.get(name, []), new_sections.get(name, [])
        lines = list(difflib.unified_diff(before, after, old_label, new_label, n=1, lineterm=""))
        changed = sum(1 for line in lines[2:] if line[:1] in "+-")
        if not changed:
            continue
        changed_total += changed
        summary.append(f"{name}: {changed} lines")
        out.append(f"=== {name} ===")
        out.extend(lines[2:])
        out.append("")
    head = f"{old_label} -> {new_label}: " + ("no differences" if not changed_total else "; ".join(summary))
    return "\n".join([head, "", *out]).rstrip() + "\n", changed_total


def committed(path: Path, root: Path) -> str | None:
    """The last committed text of ``path`` (git HEAD), or None if it was never committed."""
    relative = path.resolve().relative_to(root.resolve())
    completed = subprocess.run(  # noqa: S603 - fixed argv
        ["git", "show", f"HEAD:{relative.as_posix()}"],  # noqa: S607 - git from PATH
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    return completed.stdout if completed.returncode == 0 else None
