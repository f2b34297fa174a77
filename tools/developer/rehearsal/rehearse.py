"""``make rehearse``: deploy one environment into a local moto server with the real CDK CLI.

1. Start ``moto_server`` on 127.0.0.1 in this process, with ``tools.developer.moto_models``
   installed (so nothing in our templates is skipped).
2. ``cdk bootstrap`` and what ``make deploy`` runs (``tools/operator/deploy.py``: ``cdk deploy
   '<env>/*' --app <cdk.out>``, then the consumers of changed outputs), pointed at it through
   ``AWS_ENDPOINT_URL``, with dummy credentials: no AWS account is involved.
3. Check every template resource exists, smoke-test (list the stacks, write and read an
   object), print a summary and write ``<cdk.out>/rehearsal-<env>.json``.
4. Tear down (stacks in reverse order) and check what is left: nothing, except the
   resources the templates retain (``DeletionPolicy: Retain``, prod's data). With
   ``--keep`` the server stays up instead, for the AWS CLI (``--endpoint-url``).
5. With ``--recreate``: deploy the environment again next to what the first one
   retained (as after ``make destroy ENV=prod CONFIRM=prod``), check it, and tear it
   down again. A retained resource with a fixed name would fail this create.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tools.developer import moto_models
from tools.developer.assembly import StackArtifact
from tools.developer.rehearsal.deployer import Deployer, StackRecord, check_supported
from tools.developer.rehearsal.inventory import inventory
from tools.operator.deploy import bootstrap_environments, load_stage
from tools.operator.deploy import deploy as deploy_stage

ROOT = Path(__file__).resolve().parents[3]
SMOKE_KEY = "rehearsal/smoke-check.txt"


class RehearsalError(Exception):
    pass


def cdk_executable() -> str:
    local = ROOT / "node_modules" / ".bin" / "cdk"
    found = str(local) if local.exists() else shutil.which("cdk")
    if not found:
        raise RehearsalError("the CDK CLI is not installed: run `make setup`")
    return found


def cli_environment(endpoint: str, region: str) -> dict[str, str]:
    """The environment for the CDK CLI: the local endpoint and dummy credentials, nothing real."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",  # moto accepts any key
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",
            "CDK_DISABLE_CLI_TELEMETRY": "true",
            # The pinned Node.js 22 from node_modules runs the CLI (the machine's Node may be older).
            "PATH": f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env


@dataclass
class Rehearsal:
    env: str
    endpoint: str
    records: list[StackRecord] = field(default_factory=list)
    deploy_seconds: float = 0.0
    bootstrap_seconds: float = 0.0
    teardown_seconds: float = 0.0
    recreate_seconds: float = 0.0
    smoke: list[str] = field(default_factory=list)
    leftover: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        resources = [r for record in self.records for r in record.resources]
        return {
            "environment": self.env,
            "endpoint": self.endpoint,
            "deploySeconds": round(self.deploy_seconds, 2),
            "resources": len(resources),
            "emulated": sum(record.emulated for record in self.records),
            "recordedOnly": sum(record.recorded for record in self.records),
            "skipped": 0,  # verify() fails the rehearsal before this file is written otherwise
            "stacks": [
                {
                    "stackName": record.name,
                    "displayName": record.display_name,
                    "region": record.region,
                    "seconds": round(record.seconds, 2),
                    "outputs": record.outputs,
                    "resources": [r.as_json() for r in record.resources],
                }
                for record in self.records
            ],
        }

    def summary(self) -> str:
        lines = [
            f"Rehearsal of {self.env} on {self.endpoint}",
            "",
            f"{'stack':<22} {'region':<11} {'resources':>9} {'emulated':>9} {'recorded only':>14} {'seconds':>8}",
            "-" * 78,
        ]
        for r in self.records:
            lines.append(
                f"{r.name:<22} {r.region:<11} {len(r.resources):>9} {r.emulated:>9} {r.recorded:>14} {r.seconds:>8.2f}"
            )
        total = sum(len(r.resources) for r in self.records)
        emulated = sum(r.emulated for r in self.records)
        recorded = sum(r.recorded for r in self.records)
        lines += [
            "-" * 78,
            f"{'total':<34} {total:>9} {emulated:>9} {recorded:>14} {self.deploy_seconds:>8.2f}",
            "",
            f"cdk bootstrap {self.bootstrap_seconds:.1f} s, cdk deploy {self.deploy_seconds:.1f} s; "
            "0 resources skipped",
        ]
        return "\n".join(lines)


class LocalMoto:
    """moto_server on 127.0.0.1 (a free port), in a thread of this process."""

    def __init__(self, port: int = 0) -> None:
        from moto.server import ThreadedMotoServer

        moto_models.install()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._session = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 (moto accepts any key)
        )
        self._clients: dict[tuple[str, str], Any] = {}

    def __enter__(self) -> LocalMoto:
        from moto.core.base_backend import BackendDict

        BackendDict.reset()  # an empty account, whatever this process emulated before
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def endpoint(self) -> str:
        host, port = self.server.get_host_and_port()
        return f"http://{host}:{port}"

    def client(self, service: str, region: str) -> Any:
        """A client of the server, made once per service and region from one session: making a client
        reads botocore's models (about 0.1 s each time from a new session), and a rehearsal asks for
        clients over a hundred times."""
        key = (service, region)
        if key not in self._clients:
            config = Config(retries={"max_attempts": 2})
            self._clients[key] = self._session.client(  # type: ignore[call-overload]
                service, region_name=region, endpoint_url=self.endpoint, config=config
            )
        return self._clients[key]


def run_command(command: list[str], env: dict[str, str], progress: Callable[[str], None]) -> float:
    """Run the CDK CLI with ``env`` (cli_environment); the seconds it took. RehearsalError if it fails."""
    progress("$ " + " ".join(command))
    started = time.monotonic()
    completed = subprocess.run(command, env=env, cwd=ROOT, check=False)  # noqa: S603 (our own CLI, fixed arguments)
    if completed.returncode != 0:
        raise RehearsalError(f"{command[1]} failed (exit {completed.returncode})")
    return time.monotonic() - started


def _stack_seconds(cfn: Any, stack_name: str) -> float:
    events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
    times = [e["Timestamp"] for e in events]
    return (max(times) - min(times)).total_seconds() if times else 0.0


def _smoke_check(moto: LocalMoto, rehearsal: Rehearsal, stacks: list[StackArtifact]) -> None:
    region = stacks[0].region
    cfn = moto.client("cloudformation", region)
    for summary in cfn.list_stacks()["StackSummaries"]:
        if summary["StackStatus"] != "DELETE_COMPLETE":
            count = len(cfn.list_stack_resources(StackName=summary["StackName"])["StackResourceSummaries"])
            rehearsal.smoke.append(f"stack {summary['StackName']}: {summary['StackStatus']}, {count} resources")
    buckets = [
        r.physical_id for record in rehearsal.records for r in record.resources if r.resource_type == "AWS::S3::Bucket"
    ]
    if not buckets:
        raise RehearsalError("smoke check: the environment has no bucket to write to")
    bucket = next((b for b in buckets if "content" in b), buckets[0])
    s3 = moto.client("s3", region)
    body = f"rehearsal of {rehearsal.env} at {time.time():.0f}".encode()
    s3.put_object(Bucket=bucket, Key=SMOKE_KEY, Body=body)
    if s3.get_object(Bucket=bucket, Key=SMOKE_KEY)["Body"].read() != body:
        raise RehearsalError(f"smoke check: s3://{bucket}/{SMOKE_KEY} read back different bytes")
    s3.delete_object(Bucket=bucket, Key=SMOKE_KEY)
    rehearsal.smoke.append(f"object s3://{bucket}/{SMOKE_KEY}: written and read back ({len(body)} bytes)")


def retained_resources(deployer: Deployer, records: list[StackRecord]) -> dict[str, str]:
    """Physical IDs of resources whose template says ``DeletionPolicy: Retain``, by type."""
    retained = {}
    for stack, record in zip(deployer.stacks, records, strict=True):
        for resource in record.resources:
            if stack.resources[resource.logical_id].get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate"):
                retained[resource.physical_id] = resource.resource_type
    return retained


def check_leftover(leftover: set[str], retained: dict[str, str]) -> list[str]:
    """What the teardown left that no template retains. Retained buckets may keep their objects."""
    retained_buckets = {pid for pid, kind in retained.items() if kind == "AWS::S3::Bucket"}
    unexpected = []
    for item in sorted(leftover):
        kind, _, rest = item.partition(" ")
        if kind == "object" and rest.split("/", 1)[0] in retained_buckets:
            continue
        if rest.split(" ", 1)[0] in retained:
            continue
        unexpected.append(item)
    return unexpected


def rehearse(
    env: str,
    outdir: Path,
    *,
    keep: bool = False,
    recreate: bool = False,
    progress: Callable[[str], None] = print,
    wait_for_stop: Callable[[], None] | None = None,
) -> Rehearsal:
    """Run the whole rehearsal; returns what it measured. Raises RehearsalError on any failure."""
    with LocalMoto() as moto:
        deployer = Deployer.for_stage(outdir, env, moto.client, progress=progress)
        stacks = deployer.stacks
        levels = {s.stack_name: check_supported(s) for s in stacks}  # fail before deploying anything
        regions = sorted({s.region for s in stacks})
        rehearsal = Rehearsal(env=env, endpoint=moto.endpoint)
        progress(f"moto_server listening on {moto.endpoint} (tools.developer.moto_models installed)")
        cli = cli_environment(moto.endpoint, regions[0])
        cdk = cdk_executable()
        environments = bootstrap_environments(load_stage(outdir, env))
        rehearsal.bootstrap_seconds = run_command(
            [cdk, "bootstrap", *environments, "--app", str(outdir)], cli, progress
        )
        toolkit = frozenset(deployer.assets_bucket(region) for region in regions)
        before = inventory(moto.client, set(regions), toolkit_buckets=toolkit)

        def deploy() -> float:
            """What `make deploy` runs (tools/operator/deploy.py): cdk deploy, then the consumers of changed outputs."""
            started = time.monotonic()
            deploy_stage(
                env,
                outdir,
                run=lambda command: run_command(command, cli, progress),
                client=moto.client,
                cdk=[cdk],
                cdk_options=["--require-approval", "never", "--concurrency", "1", "--progress", "events"],
                progress=progress,
            )
            return time.monotonic() - started

        rehearsal.deploy_seconds = deploy()
        rehearsal.records = _verify(moto, deployer, env, levels)
        _smoke_check(moto, rehearsal, stacks)
        for line in rehearsal.smoke:
            progress(f"smoke: {line}")
        report = outdir / f"rehearsal-{env}.json"
        report.write_text(json.dumps(rehearsal.as_json(), indent=2) + "\n", encoding="utf-8")
        progress("")
        progress(rehearsal.summary())
        progress(f"resource list: {report}")

        if keep:
            pid = os.getpid()
            progress("")
            progress(f"endpoint: {moto.endpoint}")
            progress(f"  try: aws --endpoint-url {moto.endpoint} cloudformation list-stacks")
            progress(f"  stop: press Ctrl-C, or run `kill {pid}` (the stacks are not torn down)")
            (wait_for_stop or _wait_for_signal)()
            return rehearsal

        retained = _tear_down(moto, deployer, rehearsal, before, set(regions), toolkit, {}, progress)
        if recreate:
            progress("")
            progress(f"recreate: deploying {env} again, next to what the first deployment retained")
            before = inventory(moto.client, set(regions), toolkit_buckets=toolkit)
            rehearsal.recreate_seconds = deploy()
            records = _verify(moto, deployer, env, levels)
            progress(
                f"recreate: {sum(len(r.resources) for r in records)} resources created again "
                f"in {rehearsal.recreate_seconds:.1f} s"
            )
            rehearsal.records = records
            _tear_down(moto, deployer, rehearsal, before, set(regions), toolkit, retained, progress)
        return rehearsal


def _verify(moto: LocalMoto, deployer: Deployer, env: str, levels: dict[str, Any]) -> list[StackRecord]:
    """Every stack of the stage as deployed: each template resource created (``Deployer.verify``)."""
    records = []
    for stack in deployer.stacks:
        cfn = moto.client("cloudformation", stack.region)
        described = cfn.describe_stacks(StackName=stack.stack_name)["Stacks"][0]
        records.append(
            StackRecord(
                stage=env,
                name=stack.stack_name,
                display_name=stack.display_name,
                region=stack.region,
                seconds=_stack_seconds(cfn, stack.stack_name),
                resources=deployer.verify(stack, levels[stack.stack_name]),
                outputs={o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])},
            )
        )
    return records


def _tear_down(
    moto: LocalMoto,
    deployer: Deployer,
    rehearsal: Rehearsal,
    before: set[str],
    regions: set[str],
    toolkit: frozenset[str],
    retained_earlier: dict[str, str],
    progress: Callable[[str], None],
) -> dict[str, str]:
    """Delete the stage; what is left must be what its templates retain, and nothing that was there before.

    ``retained_earlier`` is what an earlier teardown retained: its buckets may gain objects (access logs).
    Returns what this teardown retained.
    """
    started = time.monotonic()
    deployer.destroy()
    rehearsal.teardown_seconds = time.monotonic() - started
    after = inventory(moto.client, regions, toolkit_buckets=toolkit)
    retained = retained_resources(deployer, rehearsal.records)
    unexpected = check_leftover(after - before, retained | retained_earlier)
    if unexpected or before - after:
        raise RehearsalError(f"teardown left {unexpected} and removed {sorted(before - after)} that it had not created")
    rehearsal.leftover = sorted(after - before)
    kept = [item for item in rehearsal.leftover if not item.startswith("object ")]
    objects = len(rehearsal.leftover) - len(kept)
    progress(
        f"teardown: {len(deployer.stacks)} stacks deleted in {rehearsal.teardown_seconds:.1f} s; "
        + (f"retained as the templates say: {', '.join(kept)} ({objects} objects)" if kept else "nothing left")
    )
    return retained


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
