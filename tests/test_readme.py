"""The README's synth summary is what ``make synth`` prints (its review table: tests/tools/developer/review)."""

from __future__ import annotations

from tests.support.readme import readme_block, shown_in_order
from tests.support.synth import MakeSynth


def test_the_synth_summary_in_the_readme_is_what_make_synth_prints(make_synth: MakeSynth):
    printed = make_synth.stdout.replace(f"({make_synth.outdir})", "(cdk.out)").splitlines()
    shown = readme_block("Showrunner synth (cdk.out)")
    assert len(shown) > 10
    assert shown_in_order(shown, printed) == []
