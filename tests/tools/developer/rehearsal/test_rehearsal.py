"""`make rehearse`: the real CDK CLI deploys a stage into an embedded moto server."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from tests.support.synth import Synthesized
from tools.developer.rehearsal.__main__ import main
from tools.developer.rehearsal.rehearse import check_leftover, rehearse


def test_leftovers_are_only_what_the_templates_retain():
    retained = {"prod-content": "AWS::S3::Bucket", "key-1": "AWS::KMS::Key"}
    leftover = {
        "bucket prod-content",
        "object prod-content/vod/t-1/master.m3u8",
        "kms-key key-1 (Enabled)",
        "vpc vpc-123",
        "object dev-content/x",
    }
    assert check_leftover(leftover, retained) == ["object dev-content/x", "vpc vpc-123"]


def test_the_command_needs_a_cloud_assembly(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["--env", "dev", "--outdir", str(tmp_path)]) == 2
    assert "run `make synth` first" in capsys.readouterr().err


def _expected_resources(synthesized: Synthesized, env: str) -> dict[str, dict[str, str]]:
    return {
        s.stack_name: {logical_id: r["Type"] for logical_id, r in s.resources.items()}
        for s in synthesized.stacks
        if s.stage == env
    }


@pytest.mark.cli
def test_rehearse_dev_deploys_everything_smoke_checks_and_leaves_nothing(synthesized: Synthesized):
    lines: list[str] = []
    rehearsal = rehearse("dev", synthesized.outdir, progress=lines.append)
    report = json.loads((synthesized.outdir / "rehearsal-dev.json").read_text())
    listed = {s["stackName"]: {r["logicalId"]: r["type"] for r in s["resources"]} for s in report["stacks"]}
    assert listed == _expected_resources(synthesized, "dev")  # 100% of the template resources
    assert report["skipped"] == 0
    assert report["emulated"] + report["recordedOnly"] == report["resources"] == sum(map(len, listed.values()))
    assert all(r["physicalId"] for s in report["stacks"] for r in s["resources"])
    assert any(line.startswith("smoke: object s3://dev-storage-contentbucket") for line in lines)
    assert rehearsal.leftover == []
    assert lines[-1].endswith("nothing left")


@pytest.mark.cli
def test_rehearse_prod_with_keep_serves_the_deployed_environment(synthesized: Synthesized):
    seen: dict[str, object] = {}

    def use_the_endpoint() -> None:
        endpoint = next(line.split(": ", 1)[1] for line in lines if line.startswith("endpoint: "))
        cfn = boto3.client(
            "cloudformation",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        seen["stacks"] = {s["StackName"] for s in cfn.list_stacks()["StackSummaries"]}
        seen["protected"] = cfn.describe_stacks(StackName="prod-Storage")["Stacks"][0]["EnableTerminationProtection"]

    lines: list[str] = []
    rehearse("prod", synthesized.outdir, keep=True, progress=lines.append, wait_for_stop=use_the_endpoint)
    in_us_east_1 = {s.stack_name for s in synthesized.stacks if s.stage == "prod" and s.region == "us-east-1"}
    assert "prod-Network" in in_us_east_1
    assert seen == {"stacks": {"CDKToolkit", *in_us_east_1}, "protected": True}
    report = json.loads((synthesized.outdir / "rehearsal-prod.json").read_text())
    listed = {s["stackName"]: {r["logicalId"]: r["type"] for r in s["resources"]} for s in report["stacks"]}
    assert listed == _expected_resources(synthesized, "prod")
    assert {r["emulation"] for s in report["stacks"] for r in s["resources"]} <= {"emulated", "recorded-only"}
