"""Deploy a stage of the synthesized cloud assembly into moto, and tear it down.

What ``cdk deploy '<stage>/*'`` does, against moto, through boto3:

1. seed what ``cdk bootstrap`` leaves behind: the assets bucket and the
   ``/cdk-bootstrap/hnb659fds/version`` parameter, in every region of the stage;
2. publish the stack's file assets (``*.assets.json``), templates included;
3. create the stacks in dependency order (``TemplateURL`` from the assets
   bucket, as the CLI does), and wait for each to complete;
4. check that every resource of every template exists in the stack, and fail
   naming the logical ID and type of any that does not.

Types neither moto nor ``tools.developer.moto_models`` support are rejected
before anything is created. Weak cross-stack references (``Fn::GetStackOutput``)
are resolved by moto's parser once ``moto_models.install()`` has run.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.developer.assembly import StackArtifact, load_stacks
from tools.developer.moto_models import Emulation, UnsupportedResourceTypeError, support_level

QUALIFIER = "hnb659fds"
BOOTSTRAP_VERSION_PARAMETER = f"/cdk-bootstrap/{QUALIFIER}/version"
# The version a current `cdk bootstrap` writes; stacks require at least 6.
BOOTSTRAP_VERSION = 30
DEFAULT_ACCOUNT = "123456789012"

ClientFactory = Callable[[str, str], Any]


class DeployError(Exception):
    """A stack did not deploy (or tear down) completely. The message names what is missing."""


@dataclass(frozen=True)
class ResourceRecord:
    logical_id: str
    resource_type: str
    physical_id: str
    emulation: Emulation

    def as_json(self) -> dict[str, str]:
        return {
            "logicalId": self.logical_id,
            "type": self.resource_type,
            "physicalId": self.physical_id,
            "emulation": "recorded-only" if self.emulation is Emulation.RECORDED else "emulated",
            "support": self.emulation.value,
        }


@dataclass
class StackRecord:
    stage: str
    name: str
    display_name: str
    region: str
    seconds: float
    resources: list[ResourceRecord]
    outputs: dict[str, str] = field(default_factory=dict)

    def count(self, *levels: Emulation) -> int:
        return sum(1 for r in self.resources if r.emulation in levels)

    @property
    def emulated(self) -> int:
        return self.count(Emulation.NATIVE, Emulation.EMULATED)

    @property
    def recorded(self) -> int:
        return self.count(Emulation.RECORDED)


def _substitute(text: str, account: str, region: str) -> str:
    return (
        text.replace("${AWS::AccountId}", account).replace("${AWS::Region}", region).replace("${AWS::Partition}", "aws")
    )


def _zip_directory(directory: Path) -> bytes:
    """A deterministic zip of a directory (as the CDK CLI publishes `zip` assets)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(str(path.relative_to(directory)), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def dependency_order(stacks: Iterable[StackArtifact]) -> list[StackArtifact]:
    """Stacks ordered so that each comes after the stacks it depends on."""
    by_id = {s.artifact_id: s for s in stacks}
    ordered: list[StackArtifact] = []
    state: dict[str, str] = {}

    def visit(artifact_id: str, path: tuple[str, ...]) -> None:
        if state.get(artifact_id) == "done":
            return
        if state.get(artifact_id) == "visiting":
            raise DeployError(f"stack dependency cycle: {' -> '.join((*path, artifact_id))}")
        if artifact_id not in by_id:
            raise DeployError(f"stack {path[-1]} depends on {artifact_id}, which is not in this stage")
        state[artifact_id] = "visiting"
        for dependency in by_id[artifact_id].dependencies:
            visit(dependency, (*path, artifact_id))
        state[artifact_id] = "done"
        ordered.append(by_id[artifact_id])

    for artifact_id in by_id:
        visit(artifact_id, ())
    return ordered


def check_supported(stack: StackArtifact) -> dict[str, Emulation]:
    """Support level of each resource; raises naming the first resource nobody can create."""
    levels = {}
    for logical_id, resource in stack.resources.items():
        level = support_level(resource["Type"])
        if level is None:
            raise UnsupportedResourceTypeError(logical_id, resource["Type"])
        levels[logical_id] = level
    return levels


class Deployer:
    """Deploys one stage's stacks. ``client(service, region)`` returns a boto3 client bound to moto."""

    def __init__(
        self,
        stacks: list[StackArtifact],
        client: ClientFactory,
        *,
        account: str = DEFAULT_ACCOUNT,
        progress: Callable[[str], None] | None = None,
        poll_seconds: float = 0.05,
        timeout_seconds: float = 300.0,
    ) -> None:
        self.stacks = dependency_order(stacks)
        self.client = client
        self.account = account
        self.progress = progress or (lambda _message: None)
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds

    @classmethod
    def for_stage(cls, outdir: str | Path, stage: str, client: ClientFactory, **kwargs: Any) -> Deployer:
        stacks = [s for s in load_stacks(outdir) if s.stage == stage]
        if not stacks:
            raise DeployError(f"no stacks for stage {stage!r} in {outdir}")
        return cls(stacks, client, **kwargs)

    # --- bootstrap and assets ------------------------------------------------------
    def assets_bucket(self, region: str) -> str:
        return f"cdk-{QUALIFIER}-assets-{self.account}-{region}"

    def bootstrap(self) -> None:
        """What `cdk bootstrap` leaves that deployments use: the assets bucket and the version parameter."""
        for region in sorted({s.region for s in self.stacks}):
            s3 = self.client("s3", region)
            bucket = self.assets_bucket(region)
            if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
                create: dict[str, Any] = {"Bucket": bucket}
                if region != "us-east-1":
                    create["CreateBucketConfiguration"] = {"LocationConstraint": region}
                s3.create_bucket(**create)
            self.client("ssm", region).put_parameter(
                Name=BOOTSTRAP_VERSION_PARAMETER, Value=str(BOOTSTRAP_VERSION), Type="String", Overwrite=True
            )
            self.progress(f"bootstrap: {region}: bucket {bucket}, {BOOTSTRAP_VERSION_PARAMETER}={BOOTSTRAP_VERSION}")

    def publish_assets(self, stack: StackArtifact) -> int:
        """Upload the stack's file assets; return how many were uploaded."""
        manifest_path = stack.directory / f"{stack.artifact_id}.assets.json"
        if not manifest_path.exists():
            return 0
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("dockerImages"):
            raise DeployError(f"{stack.stack_name}: container image assets are not supported (no Docker)")
        published = 0
        for asset_id, asset in manifest.get("files", {}).items():
            source = stack.directory / asset["source"]["path"]
            if not source.exists():
                raise DeployError(f"{stack.stack_name}: asset {asset_id} source {source} does not exist")
            body = _zip_directory(source) if asset["source"].get("packaging") == "zip" else source.read_bytes()
            for destination in asset["destinations"].values():
                region = destination.get("region", stack.region)
                self.client("s3", region).put_object(
                    Bucket=_substitute(destination["bucketName"], self.account, region),
                    Key=_substitute(destination["objectKey"], self.account, region),
                    Body=body,
                )
                published += 1
        return published

    def template_url(self, stack: StackArtifact) -> str:
        url = _substitute(stack.template_object_url, self.account, stack.region)
        bucket, key = url.removeprefix("s3://").split("/", 1)
        return f"https://s3.{stack.region}.amazonaws.com/{bucket}/{key}"

    # --- deploy ------------------------------------------------------------------------
    def _bootstrap_version(self, region: str) -> int:
        value = self.client("ssm", region).get_parameter(Name=BOOTSTRAP_VERSION_PARAMETER)["Parameter"]["Value"]
        return int(value)

    def _wait(self, cfn: Any, stack_name: str, final: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            described: dict[str, Any] = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
            status = described["StackStatus"]
            if not status.endswith("_IN_PROGRESS"):
                if status != final:
                    raise DeployError(f"{stack_name}: {status} ({described.get('StackStatusReason', 'no reason')})")
                return described
            if time.monotonic() > deadline:
                raise DeployError(f"{stack_name}: still {status} after {self.timeout_seconds:.0f} s")
            time.sleep(self.poll_seconds)

    def deploy_stack(self, stack: StackArtifact) -> StackRecord:
        started = time.monotonic()
        levels = check_supported(stack)
        required = stack.requires_bootstrap_version
        if required and self._bootstrap_version(stack.region) < required:
            raise DeployError(f"{stack.stack_name} needs bootstrap version {required} in {stack.region}")
        self.publish_assets(stack)
        cfn = self.client("cloudformation", stack.region)
        self.progress(f"{stack.display_name} ({stack.stack_name}): creating {len(stack.resources)} resources")
        cfn.create_stack(
            StackName=stack.stack_name,
            TemplateURL=self.template_url(stack),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            EnableTerminationProtection=stack.termination_protection,
        )
        described = self._wait(cfn, stack.stack_name, "CREATE_COMPLETE")
        resources = self.verify(stack, levels)
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        record = StackRecord(
            stage=stack.stage,
            name=stack.stack_name,
            display_name=stack.display_name,
            region=stack.region,
            seconds=time.monotonic() - started,
            resources=resources,
            outputs=outputs,
        )
        self.progress(
            f"{stack.display_name} ({stack.stack_name}): CREATE_COMPLETE, {record.emulated} emulated, "
            f"{record.recorded} recorded only, {record.seconds:.1f} s"
        )
        return record

    def verify(self, stack: StackArtifact, levels: dict[str, Emulation]) -> list[ResourceRecord]:
        """Every template resource must exist in the deployed stack, with its type and a physical ID."""
        cfn = self.client("cloudformation", stack.region)
        listed: dict[str, dict[str, Any]] = {}
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack.stack_name):
            for summary in page["StackResourceSummaries"]:
                if summary.get("LogicalResourceId"):
                    listed[summary["LogicalResourceId"]] = summary
        problems = []
        records = []
        for logical_id, resource in stack.resources.items():
            found = listed.get(logical_id)
            if found is None:
                if "Condition" in resource:
                    continue  # its condition is false: CloudFormation does not create it either
                problems.append(f"{logical_id} ({resource['Type']}) was not created")
            elif found.get("ResourceType") != resource["Type"] or not found.get("PhysicalResourceId"):
                problems.append(
                    f"{logical_id} ({resource['Type']}) is listed as {found.get('ResourceType')!r} "
                    f"with physical ID {found.get('PhysicalResourceId')!r}"
                )
            else:
                records.append(
                    ResourceRecord(logical_id, resource["Type"], found["PhysicalResourceId"], levels[logical_id])
                )
        if problems:
            raise DeployError(f"{stack.stack_name}: " + "; ".join(problems))
        return records

    def deploy(self) -> list[StackRecord]:
        self.bootstrap()
        return [self.deploy_stack(stack) for stack in self.stacks]

    # --- teardown ------------------------------------------------------------------
    def destroy(self) -> float:
        """Delete the stacks in reverse dependency order; return the seconds taken."""
        started = time.monotonic()
        for stack in reversed(self.stacks):
            cfn = self.client("cloudformation", stack.region)
            if stack.termination_protection:
                cfn.update_termination_protection(StackName=stack.stack_name, EnableTerminationProtection=False)
            self.progress(f"{stack.display_name} ({stack.stack_name}): deleting")
            cfn.delete_stack(StackName=stack.stack_name)
            deadline = time.monotonic() + self.timeout_seconds
            while True:
                remaining = [
                    s
                    for s in cfn.list_stacks()["StackSummaries"]
                    if s["StackName"] == stack.stack_name and s["StackStatus"] != "DELETE_COMPLETE"
                ]
                if not remaining:
                    break
                if remaining[0]["StackStatus"] != "DELETE_IN_PROGRESS" or time.monotonic() > deadline:
                    raise DeployError(f"{stack.stack_name}: {remaining[0]['StackStatus']} while deleting")
                time.sleep(self.poll_seconds)
        return time.monotonic() - started
