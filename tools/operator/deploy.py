"""``make deploy`` and ``make bootstrap``: deploy a synthesized stage so that a replaced producer reaches its consumers.

The stacks read one another's outputs through CDK's weak references
(``Fn::GetStackOutput``), which CloudFormation resolves only when the consuming
stack is created or updated. When a deploy replaces a producer's resource (the
ALB, the origin header secret, the WebACL), its output changes, but the
consumer's template does not: ``cdk deploy`` skips the consumer, and it keeps
the old value. So after ``cdk deploy '<env>/*'`` this command:

1. reads, for every stack of the stage, the outputs it references (from its
   template in the cloud assembly) as the producers now hold them;
2. compares their SHA-256 with the stack's ``ProducerOutputs`` parameter, which
   records the fingerprint of its last update through this command;
3. deploys the stacks whose fingerprint changed again, with only the new
   parameter value: CloudFormation updates them and resolves their references
   again, updating each resource whose value changed. It repeats this until no
   stack is left behind (a consumer's update can change an output another reads).

``bootstrap`` runs ``cdk bootstrap`` for every region the stage's stacks use
(prod's content replica is in another region from the rest). Usage::

    python -m tools.operator.deploy deploy --env prod [--outdir cdk.out] [-- <cdk deploy options>]
    python -m tools.operator.deploy bootstrap --env prod
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stacks.names import ENVIRONMENT_NAMES, PRODUCER_OUTPUTS_PARAMETER

ROOT = Path(__file__).resolve().parents[2]
CDK = str(ROOT / "node_modules" / ".bin" / "cdk")

Run = Callable[[list[str]], object]
ClientFactory = Callable[[str, str], Any]  # (service, region) -> boto3 client


class DeployError(Exception):
    pass


@dataclass(frozen=True, order=True)
class Reference:
    """One ``Fn::GetStackOutput``: the producing stack, its region and the output read."""

    stack: str
    region: str
    output: str


@dataclass(frozen=True)
class StageStack:
    """A stack of the synthesized stage, as the cloud assembly describes it."""

    name: str  # CloudFormation stack name, e.g. prod-Edge
    display_name: str  # what the CDK CLI selects, e.g. prod/Edge
    account: str | None  # None: the account of the credentials
    region: str
    references: tuple[Reference, ...]


def _weak_references(node: Any, region: str) -> set[Reference]:
    if isinstance(node, dict):
        spec = node.get("Fn::GetStackOutput")
        if isinstance(spec, dict):
            return {Reference(spec["StackName"], spec.get("Region", region), spec["OutputName"])}
        return {r for value in node.values() for r in _weak_references(value, region)}
    if isinstance(node, list):
        return {r for value in node for r in _weak_references(value, region)}
    return set()


def load_stage(outdir: Path, env: str) -> list[StageStack]:
    """The stage's stacks from ``<outdir>/manifest.json``, in the assembly's order."""
    manifest_path = outdir / "manifest.json"
    if not manifest_path.exists():
        raise DeployError(f"no cloud assembly in {outdir}; run `make synth` first")
    artifacts = json.loads(manifest_path.read_text())["artifacts"]
    nested = artifacts.get(f"assembly-{env}")
    if nested is None:
        raise DeployError(f"the cloud assembly in {outdir} has no stage {env!r}")
    directory = outdir / nested["properties"]["directoryName"]
    stacks = []
    for artifact in json.loads((directory / "manifest.json").read_text())["artifacts"].values():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        account, region = artifact["environment"].removeprefix("aws://").split("/")
        properties = artifact["properties"]
        template = json.loads((directory / properties["templateFile"]).read_text())
        stacks.append(
            StageStack(
                name=properties.get("stackName", artifact["displayName"]),
                display_name=artifact["displayName"],
                account=None if account == "unknown-account" else account,
                region=region,
                references=tuple(sorted(_weak_references(template, region))),
            )
        )
    return stacks


def fingerprint(references: Sequence[Reference], outputs: Callable[[str, str], dict[str, str] | None]) -> str:
    """SHA-256 of the referenced outputs' current values (``outputs(stack, region)``; None: no such stack)."""
    values = []
    for reference in references:
        held = outputs(reference.stack, reference.region)
        values.append([reference.stack, reference.region, reference.output, (held or {}).get(reference.output)])
    return hashlib.sha256(json.dumps(values, separators=(",", ":")).encode()).hexdigest()


class Deployed:
    """What CloudFormation holds now (read once per stack): outputs and the ``ProducerOutputs`` parameter."""

    def __init__(self, client: ClientFactory) -> None:
        self._client = client
        self._described: dict[tuple[str, str], dict[str, Any] | None] = {}

    def _describe(self, stack: str, region: str) -> dict[str, Any] | None:
        if (stack, region) not in self._described:
            cloudformation = self._client("cloudformation", region)
            try:
                described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
            except cloudformation.exceptions.ClientError as error:
                if "does not exist" not in str(error):
                    raise
                described = None
            self._described[(stack, region)] = described
        return self._described[(stack, region)]

    def outputs(self, stack: str, region: str) -> dict[str, str] | None:
        described = self._describe(stack, region)
        if described is None:
            return None
        return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}

    def parameter(self, stack: str, region: str) -> str | None:
        """The stack's ``ProducerOutputs`` value ("" if it has none); None if the stack does not exist."""
        described = self._describe(stack, region)
        if described is None:
            return None
        values = {p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])}
        return str(values.get(PRODUCER_OUTPUTS_PARAMETER, ""))


def stale(stacks: Sequence[StageStack], deployed: Deployed) -> dict[StageStack, str]:
    """The deployed stacks whose referenced outputs changed since their last update: each with its new fingerprint."""
    found = {}
    for stack in stacks:
        recorded = deployed.parameter(stack.name, stack.region)
        if not stack.references or recorded is None:
            continue
        current = fingerprint(stack.references, deployed.outputs)
        if recorded != current:
            found[stack] = current
    return found


def refresh_command(cdk: Sequence[str], outdir: Path, updates: dict[StageStack, str]) -> list[str]:
    command = [*cdk, "deploy", *(s.display_name for s in updates), "--app", str(outdir), "--exclusively"]
    for stack, value in updates.items():
        command += ["--parameters", f"{stack.name}:{PRODUCER_OUTPUTS_PARAMETER}={value}"]
    return command


def deploy(
    env: str,
    outdir: Path,
    *,
    run: Run,
    client: ClientFactory,
    cdk: Sequence[str] = (CDK,),
    cdk_options: Sequence[str] = (),
    progress: Callable[[str], None] = print,
) -> list[list[str]]:
    """``cdk deploy '<env>/*'``, then refresh the consumers of changed outputs. Returns the refresh rounds' stacks."""
    stacks = load_stage(outdir, env)
    run([*cdk, "deploy", f"{env}/*", "--app", str(outdir), *cdk_options])
    rounds: list[list[str]] = []
    for _ in range(len(stacks)):
        updates = stale(stacks, Deployed(client))
        if not updates:
            progress(f"deploy: every stack of {env} reads the outputs its producers hold now")
            return rounds
        names = [s.name for s in updates]
        progress(
            f"deploy: outputs read by {', '.join(names)} changed; updating them so CloudFormation reads them again"
        )
        run(refresh_command(cdk, outdir, updates) + list(cdk_options))
        rounds.append(names)
    raise DeployError(f"the stacks of {env} still read changed outputs after {len(stacks)} rounds: {rounds[-1]}")


def bootstrap_environments(stacks: Sequence[StageStack]) -> list[str]:
    """``cdk bootstrap`` arguments for every account and region the stacks use (``*``: the credentials' account)."""
    return sorted({f"aws://{s.account or '*'}/{s.region}" for s in stacks})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.operator.deploy", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["deploy", "bootstrap"])
    parser.add_argument("--env", required=True, choices=ENVIRONMENT_NAMES)
    parser.add_argument("--outdir", type=Path, default=ROOT / "cdk.out", help="the synthesized cloud assembly")
    parser.add_argument("cdk_options", nargs="*", help="after --: passed to cdk deploy (e.g. --require-approval never)")
    args = parser.parse_args(argv)

    def run(command: list[str]) -> None:
        print("$ " + " ".join(command), flush=True)
        if subprocess.run(command, cwd=ROOT, check=False).returncode != 0:  # noqa: S603 (our CLI, our arguments)
            raise DeployError(f"{command[1]} failed")

    try:
        if args.command == "bootstrap":
            environments = bootstrap_environments(load_stage(args.outdir, args.env))
            run([CDK, "bootstrap", *environments, "--app", str(args.outdir)])
            return 0
        import boto3

        deploy(
            args.env,
            args.outdir,
            run=run,
            client=lambda service, region: boto3.client(service, region_name=region),  # type: ignore[call-overload]
            cdk_options=args.cdk_options,
        )
    except DeployError as error:
        print(f"deploy: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
