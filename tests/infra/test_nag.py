"""cdk-nag (AwsSolutions) runs on the whole app, and an unacknowledged finding fails synth."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aws_cdk import App
from aws_cdk import aws_s3 as s3

from stacks.app_builder import build_app, configs_from_context
from stacks.nag import ACKNOWLEDGMENTS, Ack, StaleAcknowledgmentError, acknowledge_findings
from stacks.stage import ShowrunnerStage
from tests.conftest import MakeSynth, make
from tests.infra.conftest import ROOT, Synthesized, cdk_context
from tools.developer.assembly import validation_failures


def test_the_app_has_no_unacknowledged_findings(synthesized: Synthesized):
    assert validation_failures(synthesized.outdir) == 0


class _Wildcards(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "\0"


def _rule_pattern(ack: Ack) -> re.Pattern[str]:
    """The rule ID with its {setting} placeholders as wildcards ({{ and }} are literal braces)."""
    return re.compile(re.escape(ack.rule.format_map(_Wildcards())).replace("\0", ".+"))


def test_every_acknowledgment_in_the_assembly_comes_from_nag_py_with_its_reason(synthesized: Synthesized):
    found = [ack for stack in synthesized.stacks for ack in stack.nag_acknowledgments()]
    assert found, "the dev NAT instance acknowledgments should be recorded in the stack metadata"
    used = set()
    for path, rule, reason in found:
        sources = [a for a in ACKNOWLEDGMENTS if _rule_pattern(a).fullmatch(rule) and a.reason == reason]
        assert sources, (path, rule)
        assert len(reason) > 40, f"{rule} on {path} needs a specific reason"
        used.update(sources)
    assert used == {a for a in ACKNOWLEDGMENTS if a.rule.startswith("AwsSolutions-")}
    nat_paths = {path for path, rule, _ in found if rule in ("AwsSolutions-EC28", "AwsSolutions-EC29")}
    assert nat_paths == {"/dev/Network/Vpc/publicSubnet1/NatInstance/Resource"}, "only dev runs a NAT instance"


def test_an_unacknowledged_finding_inside_a_stage_fails_synth(tmp_path: Path):
    app = App(outdir=str(tmp_path), context=cdk_context())
    stages = build_app(app)
    s3.Bucket(stages["staging"].storage, "Unlogged", enforce_ssl=True)
    with pytest.raises(RuntimeError, match=r"AwsSolutions-S1") as error:
        app.synth()
    assert "staging/Storage/Unlogged/Resource" in str(error.value)
    assert validation_failures(tmp_path) == 1


def test_an_acknowledgment_that_matches_nothing_is_an_error():
    app = App(context=cdk_context())
    ShowrunnerStage(app, configs_from_context(app)["dev"])  # one stage is enough to match against
    stale = (Ack("*/Storage/NoSuchBucket/Resource", "AwsSolutions-S1", "left over from a deleted bucket"),)
    with pytest.raises(StaleAcknowledgmentError, match="NoSuchBucket"):
        acknowledge_findings(app, stale)


@pytest.mark.cli
def test_make_synth_succeeds_offline_and_summarizes(make_synth: MakeSynth):
    assert make_synth.returncode == 0, make_synth.stdout + make_synth.stderr
    outdir = Path(make_synth.outdir)
    templates = list(outdir.glob("assembly-*/*.template.json"))
    assert f"3 stages, {len(templates)} stacks" in make_synth.stdout
    assert "cdk-nag AwsSolutions: 0 unacknowledged findings" in make_synth.stdout
    assert "cfn-lint: 0 errors, 0 warnings" in make_synth.stdout
    for stage in ("dev", "staging", "prod"):
        assert list((outdir / f"assembly-{stage}").glob("*.template.json"))


@pytest.mark.cli
def test_make_synth_fails_on_an_unacknowledged_finding_inside_a_stage(tmp_path: Path):
    canary = ROOT / "tests" / "infra" / "nag_canary_app.py"
    result = make("synth", f"CDK_OUT={tmp_path / 'cdk.out'}", f"CDK_APP={ROOT / '.venv' / 'bin' / 'python'} {canary}")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "dev/Storage/NagCanaryBucket/Resource" in output
    assert "AwsSolutions-S1" in output
    assert validation_failures(tmp_path / "cdk.out") >= 1
