"""`make deploy` / `make bootstrap` (tools/operator/deploy.py): which stacks read which outputs, which are stale,
and the refresh rounds; the CDK CLI and CloudFormation are stand-ins here (the rehearsal tests run the real CLI
against moto: tests/tools/developer/rehearsal/test_producer_replacement.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tests.support.synth import Synthesized
from tools.operator import deploy as deploy_module
from tools.operator.deploy import (
    Deployed,
    DeployError,
    Reference,
    StageStack,
    bootstrap_environments,
    deploy,
    fingerprint,
    load_stage,
    main,
    refresh_command,
    stale,
)


def test_every_stack_of_a_stage_with_the_outputs_it_reads(synthesized: Synthesized):
    stacks = {s.display_name: s for s in load_stage(synthesized.outdir, "prod")}
    assert len(stacks) == len([s for s in synthesized.stacks if s.stage == "prod"])
    edge = stacks["prod/Edge"]
    assert (edge.name, edge.account, edge.region) == ("prod-Edge", None, "us-east-1")
    assert Reference("prod-EdgeSecurity", "us-east-1", "PublishOutputFnGetAttWebAclArn773D5034") in edge.references
    assert {r.stack for r in edge.references} >= {"prod-Origin", "prod-Storage", "prod-Api"}
    assert stacks["prod/Alerts"].references == ()
    # The content replica's stack reads the primary bucket in us-east-1 from us-west-2.
    replica = next(s for s in stacks.values() if s.region == "us-west-2")
    assert {r.region for r in replica.references} <= {"us-east-1", "us-west-2"}


def test_bootstrap_covers_every_region_a_stage_uses(synthesized: Synthesized):
    assert bootstrap_environments(load_stage(synthesized.outdir, "prod")) == ["aws://*/us-east-1", "aws://*/us-west-2"]
    assert bootstrap_environments(load_stage(synthesized.outdir, "dev")) == ["aws://*/us-east-1"]


def test_a_missing_assembly_or_stage_is_a_clear_error(tmp_path: Path, synthesized: Synthesized):
    with pytest.raises(DeployError, match=f"no cloud assembly in {tmp_path}; run `make synth` first"):
        load_stage(tmp_path, "dev")
    with pytest.raises(DeployError, match="has no stage 'qa'"):
        load_stage(synthesized.outdir, "qa")


class FakeCloudFormation:
    """describe_stacks over a dict: stack name -> (outputs, ProducerOutputs value)."""

    class exceptions:  # noqa: N801 (boto3's attribute name)
        class ClientError(Exception):
            pass

    def __init__(self, stacks: dict[str, tuple[dict[str, str], str]]) -> None:
        self.stacks = stacks
        self.calls = 0

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 (boto3's keyword)
        self.calls += 1
        if StackName not in self.stacks:
            raise self.exceptions.ClientError(f"Stack with id {StackName} does not exist")
        outputs, parameter = self.stacks[StackName]
        return {
            "Stacks": [
                {
                    "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
                    "Parameters": [{"ParameterKey": "ProducerOutputs", "ParameterValue": parameter}],
                }
            ]
        }


ACL = Reference("dev-EdgeSecurity", "us-east-1", "WebAclArn")
EDGE = StageStack("dev-Edge", "dev/Edge", None, "us-east-1", (ACL,))
SECURITY = StageStack("dev-EdgeSecurity", "dev/EdgeSecurity", None, "us-east-1", ())


def _fingerprint_of(arn: str) -> str:
    return fingerprint([ACL], lambda stack, region: {"WebAclArn": arn})


def test_fingerprint_is_sha256_of_the_values_read():
    # Independently: sha256 of the compact JSON list of [stack, region, output, value] per reference.
    expected = hashlib.sha256(b'[["dev-EdgeSecurity","us-east-1","WebAclArn","arn:acl/1"]]').hexdigest()
    assert _fingerprint_of("arn:acl/1") == expected
    assert _fingerprint_of("arn:acl/1") != _fingerprint_of("arn:acl/2")


def test_a_stack_is_stale_when_an_output_it_reads_changed_since_its_last_update():
    cloudformation = FakeCloudFormation(
        {"dev-EdgeSecurity": ({"WebAclArn": "arn:acl/2"}, "none"), "dev-Edge": ({}, _fingerprint_of("arn:acl/1"))}
    )
    found = stale([SECURITY, EDGE], Deployed(lambda service, region: cloudformation))
    assert found == {EDGE: _fingerprint_of("arn:acl/2")}
    cloudformation.stacks["dev-Edge"] = ({}, _fingerprint_of("arn:acl/2"))
    assert stale([SECURITY, EDGE], Deployed(lambda service, region: cloudformation)) == {}
    # A stack that is not deployed (yet) is nobody's to refresh.
    del cloudformation.stacks["dev-Edge"]
    assert stale([SECURITY, EDGE], Deployed(lambda service, region: cloudformation)) == {}


def test_the_refresh_deploys_only_the_stale_stacks_with_their_new_fingerprint():
    command = refresh_command(["cdk"], Path("cdk.out"), {EDGE: "f" * 64})
    assert command == [
        "cdk",
        "deploy",
        "dev/Edge",
        "--app",
        "cdk.out",
        "--exclusively",
        "--parameters",
        "dev-Edge:ProducerOutputs=" + "f" * 64,
    ]


def _stage(monkeypatch: pytest.MonkeyPatch, stacks: list[StageStack]) -> None:
    monkeypatch.setattr(deploy_module, "load_stage", lambda outdir, env: stacks)


def test_deploy_runs_cdk_deploy_then_refreshes_until_nothing_is_stale(monkeypatch: pytest.MonkeyPatch):
    """dev/Edge reads the WebACL; dev/Playback reads dev/Edge's output, which its refresh changes."""
    domain = Reference("dev-Edge", "us-east-1", "DomainName")
    playback = StageStack("dev-Playback", "dev/Playback", None, "us-east-1", (domain,))
    _stage(monkeypatch, [SECURITY, EDGE, playback])
    cloudformation = FakeCloudFormation(
        {
            "dev-EdgeSecurity": ({"WebAclArn": "arn:acl/2"}, "none"),
            "dev-Edge": ({"DomainName": "old.example"}, _fingerprint_of("arn:acl/1")),
            "dev-Playback": ({}, fingerprint([domain], lambda s, r: {"DomainName": "old.example"})),
        }
    )
    commands: list[list[str]] = []

    def run(command: list[str]) -> None:
        commands.append(command)
        for argument in command:
            if argument.startswith("dev-Edge:ProducerOutputs="):
                cloudformation.stacks["dev-Edge"] = ({"DomainName": "new.example"}, argument.split("=")[1])
            if argument.startswith("dev-Playback:ProducerOutputs="):
                cloudformation.stacks["dev-Playback"] = ({}, argument.split("=")[1])

    lines: list[str] = []
    rounds = deploy("dev", Path("out"), run=run, client=lambda s, r: cloudformation, cdk=["cdk"], progress=lines.append)
    assert rounds == [["dev-Edge"], ["dev-Playback"]]
    assert [c[:3] for c in commands] == [
        ["cdk", "deploy", "dev/*"],
        ["cdk", "deploy", "dev/Edge"],
        ["cdk", "deploy", "dev/Playback"],
    ]
    assert lines[-1] == "deploy: every stack of dev reads the outputs its producers hold now"


def test_deploy_gives_up_naming_the_stacks_that_never_settle(monkeypatch: pytest.MonkeyPatch):
    _stage(monkeypatch, [SECURITY, EDGE])
    cloudformation = FakeCloudFormation(
        {"dev-EdgeSecurity": ({"WebAclArn": "arn:acl/2"}, "none"), "dev-Edge": ({}, "none")}
    )
    with pytest.raises(
        DeployError, match=r"the stacks of dev still read changed outputs after 2 rounds: \['dev-Edge'\]"
    ):
        deploy(
            "dev", Path("out"), run=lambda command: None, client=lambda s, r: cloudformation, progress=lambda _: None
        )


def test_the_bootstrap_command_names_every_region(synthesized: Synthesized, monkeypatch: pytest.MonkeyPatch):
    ran: list[list[str]] = []

    class Completed:
        returncode = 0

    def run(command: list[str], **_: Any) -> Completed:
        ran.append(command)
        return Completed()

    monkeypatch.setattr("subprocess.run", run)
    assert main(["bootstrap", "--env", "prod", "--outdir", str(synthesized.outdir)]) == 0
    assert ran == [
        [deploy_module.CDK, "bootstrap", "aws://*/us-east-1", "aws://*/us-west-2", "--app", str(synthesized.outdir)]
    ]


def test_a_failed_cdk_command_fails_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["deploy", "--env", "dev", "--outdir", str(tmp_path)]) == 1
    assert f"deploy: no cloud assembly in {tmp_path}; run `make synth` first" in capsys.readouterr().err
