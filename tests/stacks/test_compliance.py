"""cdk-nag (AwsSolutions) runs on the whole app, and an unacknowledged finding fails synth."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aws_cdk import App
from aws_cdk import aws_s3 as s3

from stacks import compliance
from stacks.app_builder import build_app, configs_from_context
from stacks.base_stack import ShowrunnerStack
from stacks.compliance import Ack, StaleAcknowledgmentError
from stacks.stage import ShowrunnerStage
from stacks.storage_stack import StorageStack
from tests.support.synth import ROOT, MakeSynth, Synthesized, cdk_context, make
from tests.support.templates import logical_id_by_path, stack_classes
from tools.developer.assembly import validation_failures


def test_the_app_has_no_unacknowledged_findings(synthesized: Synthesized):
    assert validation_failures(synthesized.outdir) == 0


STACK_CLASSES = stack_classes()
_PLACEHOLDER = re.compile(r"\{[^{}]+\}")


def _rule_pattern(ack: Ack) -> re.Pattern[str]:
    """The rule ID with its placeholders ({env}, {ref:...}) as wildcards."""
    return re.compile(".+".join(re.escape(part) for part in _PLACEHOLDER.split(ack.rule)))


def test_every_acknowledgment_in_the_assembly_comes_from_its_stack_with_its_reason(synthesized: Synthesized):
    assert len(STACK_CLASSES) >= 10
    declared = {(cls.__name__, ack) for cls in STACK_CLASSES for ack in cls.acknowledgments}
    found = [ack for stack in synthesized.stacks for ack in stack.nag_acknowledgments()]
    assert found, "the dev NAT instance acknowledgments should be recorded in the stack metadata"
    used = set()
    for path, rule, reason in found:
        sources = {(cls, a) for cls, a in declared if _rule_pattern(a).fullmatch(rule) and a.reason == reason}
        assert sources, (path, rule)
        assert len(reason) > 40, f"{rule} on {path} needs a specific reason"
        used |= sources
    assert used == {(cls, a) for cls, a in declared if a.rule.startswith("AwsSolutions-")}
    nat_paths = {path for path, rule, _ in found if rule in ("AwsSolutions-EC28", "AwsSolutions-EC29")}
    assert nat_paths == {"/dev/Network/Vpc/publicSubnet1/NatInstance/Resource"}, "only dev runs a NAT instance"


def test_no_acknowledgment_names_a_logical_id_or_an_output_hash():
    """Logical IDs and CDK's output names end in 8 hex digits; references are written {ref:<Stack>/<path>.<Attr>}."""
    for cls in STACK_CLASSES:
        for ack in cls.acknowledgments:
            assert not re.search(r"[A-Za-z][0-9A-F]{8}\b", _PLACEHOLDER.sub("", ack.rule)), (cls.__name__, ack.rule)


def test_an_unacknowledged_finding_inside_a_stage_fails_synth(tmp_path: Path):
    app = App(outdir=str(tmp_path), context=cdk_context())
    stages = build_app(app)
    s3.Bucket(stages["staging"].storage, "Unlogged", enforce_ssl=True)
    with pytest.raises(RuntimeError, match=r"AwsSolutions-S1") as error:
        app.synth()
    assert "staging/Storage/Unlogged/Resource" in str(error.value)
    assert validation_failures(tmp_path) == 1


def _dev_app(monkeypatch: pytest.MonkeyPatch, stack: type[ShowrunnerStack], acks: tuple[Ack, ...]) -> App:
    monkeypatch.setattr(stack, "acknowledgments", acks)
    app = App(context=cdk_context())
    ShowrunnerStage(app, configs_from_context(app)["dev"])  # one stage is enough to match against
    return app


def test_an_acknowledgment_that_matches_nothing_is_an_error(monkeypatch: pytest.MonkeyPatch):
    stale = (Ack("NoSuchBucket/Resource", "AwsSolutions-S1", "left over from a deleted bucket"),)
    app = _dev_app(monkeypatch, StorageStack, stale)
    with pytest.raises(StaleAcknowledgmentError, match="NoSuchBucket"):
        compliance.apply(app)


def test_a_reference_to_a_resource_the_stage_does_not_have_is_an_error(monkeypatch: pytest.MonkeyPatch):
    acks = (Ack("LogsBucket/Resource", "AwsSolutions-S1[Resource::{ref:Storage/NoSuchBucket.Arn}]", "a typo"),)
    app = _dev_app(monkeypatch, StorageStack, acks)
    with pytest.raises(StaleAcknowledgmentError, match="Storage/NoSuchBucket"):
        compliance.apply(app)


def test_references_are_quoted_as_the_synthesized_templates_name_them(synthesized: Synthesized):
    """A same-stack reference is <LogicalId.Arn>; another stack's is the Fn::GetStackOutput CDK wrote."""
    app = App(context=cdk_context())
    stage = ShowrunnerStage(app, configs_from_context(app)["dev"])
    lake = stage.storage.data_lake_bucket
    storage = synthesized.stack("dev", "Storage").template
    logical_id = logical_id_by_path(storage, "/Storage/DataLakeBucket/Resource")
    assert compliance.reference(stage.storage, lake, "Arn") == f"<{logical_id}.Arn>"
    cross = json.loads(compliance.reference(stage.analytics, lake, "Arn"))["Fn::GetStackOutput"]
    assert (cross["StackName"], cross["Region"]) == ("dev-Storage", "us-east-1")
    assert storage["Outputs"][cross["OutputName"]]["Value"] == {"Fn::GetAtt": [logical_id, "Arn"]}
    analytics = json.dumps(synthesized.stack("dev", "Analytics").template)
    assert json.dumps({"Fn::GetStackOutput": cross}) in analytics


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
    canary = ROOT / "tests" / "support" / "nag_canary_app.py"
    result = make("synth", f"CDK_OUT={tmp_path / 'cdk.out'}", f"CDK_APP={ROOT / '.venv' / 'bin' / 'python'} {canary}")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "dev/Storage/NagCanaryBucket/Resource" in output
    assert "AwsSolutions-S1" in output
    assert validation_failures(tmp_path / "cdk.out") >= 1
