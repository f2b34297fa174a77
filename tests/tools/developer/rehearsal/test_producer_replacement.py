"""A replaced producer reaches its consumers on the same deploy: `make deploy` against moto, with the real CDK CLI.

The next version of dev renames the CloudFront WebACL (a replacement: a new ARN in EdgeSecurity's
output). dev/Edge's template is unchanged, so a plain ``cdk deploy`` skips it and the distribution keeps
the old WebACL; tools/operator/deploy.py updates dev/Edge with a new ``ProducerOutputs`` value and the
distribution reads the new ARN. A module of its own, so that pytest-xdist runs it beside the other rehearsals.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.synth import Synthesized
from tools.developer.rehearsal.rehearse import LocalMoto, cdk_executable, cli_environment, run_command
from tools.operator.deploy import bootstrap_environments, deploy, load_stage

OPTIONS = ["--require-approval", "never", "--concurrency", "1", "--progress", "events"]


def next_version(
    outdir: Path, target: Path, env: str, display_name: str, edit: Callable[[dict[str, Any]], None]
) -> Path:
    """A copy of the cloud assembly with one stack's template edited (and its template asset re-hashed)."""
    # Another worker's CDK CLI may hold (and drop) a read.<pid>.<n>.lock in the shared cloud assembly meanwhile.
    shutil.copytree(outdir, target, symlinks=True, ignore=shutil.ignore_patterns("*.lock"))
    stage = target / f"assembly-{env}"
    manifest = json.loads((stage / "manifest.json").read_text())
    artifact_id, artifact = next(
        (key, a)
        for key, a in manifest["artifacts"].items()
        if a["type"] == "aws:cloudformation:stack" and a["displayName"] == display_name
    )
    template_file = stage / artifact["properties"]["templateFile"]
    template = json.loads(template_file.read_text())
    edit(template)
    template_file.write_text(json.dumps(template, indent=1))
    digest = hashlib.sha256(template_file.read_bytes()).hexdigest()
    assets_file = stage / f"{artifact_id}.assets.json"
    assets = json.loads(assets_file.read_text())
    old = next(key for key, a in assets["files"].items() if a["source"]["path"] == template_file.name)
    entry = assets["files"].pop(old)
    for destination in entry["destinations"].values():
        destination["objectKey"] = f"{digest}.json"
    assets["files"][digest] = entry
    assets_file.write_text(json.dumps(assets, indent=1))
    properties = artifact["properties"]
    properties["stackTemplateAssetObjectUrl"] = properties["stackTemplateAssetObjectUrl"].replace(old, digest)
    (stage / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return target


def _rename_web_acl(template: dict[str, Any]) -> None:
    acl = next(r for r in template["Resources"].values() if r["Type"] == "AWS::WAFv2::WebACL")
    acl["Properties"]["Name"] += "-v2"  # Name: replacement


@pytest.mark.cli
def test_a_replaced_web_acl_reaches_the_distribution_on_the_same_deploy(synthesized: Synthesized, tmp_path: Path):
    first = synthesized.outdir
    second = next_version(first, tmp_path / "cdk.out", "dev", "dev/EdgeSecurity", _rename_web_acl)
    lines: list[str] = []
    with LocalMoto() as moto:
        cli = cli_environment(moto.endpoint, "us-east-1")
        cdk = cdk_executable()

        def run(command: list[str]) -> None:
            run_command(command, cli, lines.append)

        def web_acl_output() -> str:
            described = moto.client("cloudformation", "us-east-1").describe_stacks(StackName="dev-EdgeSecurity")
            return str(
                next(o["OutputValue"] for o in described["Stacks"][0]["Outputs"] if o["OutputKey"] == "WebAclArn")
            )

        def distribution_web_acl() -> str:
            resources = moto.client("cloudformation", "us-east-1").describe_stack_resources(StackName="dev-Edge")
            (distribution,) = (
                r["PhysicalResourceId"]
                for r in resources["StackResources"]
                if r["ResourceType"] == "AWS::CloudFront::Distribution"
            )
            config = moto.client("cloudfront", "us-east-1").get_distribution_config(Id=distribution)
            return str(config["DistributionConfig"]["WebACLId"])

        run([cdk, "bootstrap", *bootstrap_environments(load_stage(first, "dev")), "--app", str(first)])
        deploy("dev", first, run=run, client=moto.client, cdk=[cdk], cdk_options=OPTIONS, progress=lines.append)
        old = web_acl_output()
        assert distribution_web_acl() == old

        # What the issue describes: the consumer's template did not change, so cdk deploy skips it.
        run([cdk, "deploy", "dev/*", "--app", str(second), *OPTIONS])
        new = web_acl_output()
        assert new.endswith("/webacl/showrunner-dev-edge-v2/" + new.rsplit("/", 1)[1])
        assert new != old
        assert distribution_web_acl() == old

        rounds = deploy(
            "dev", second, run=run, client=moto.client, cdk=[cdk], cdk_options=OPTIONS, progress=lines.append
        )
        assert rounds == [["dev-Edge"]]
        assert distribution_web_acl() == new
    assert "deploy: outputs read by dev-Edge changed; updating them so CloudFormation reads them again" in lines
