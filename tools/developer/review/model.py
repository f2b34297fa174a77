"""The review of one environment, computed from the assembly; ``report.py`` turns it into markdown."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tools.developer.assembly import StackArtifact
from tools.developer.review import cost, diagram, findings, iam, readiness, safety, transcoding
from tools.developer.review.intrinsics import AssemblyIndex, CrossStackReference

RESOURCE_LIMIT = 500  # CloudFormation's resources per stack


@dataclass(frozen=True)
class Output:
    name: str
    value: str
    export: str


@dataclass
class StackInventory:
    artifact: StackArtifact
    types: Counter[str]
    outputs: list[Output]
    consumes: list[CrossStackReference]

    @property
    def count(self) -> int:
        return sum(self.types.values())


@dataclass
class Review:
    env: str
    index: AssemblyIndex
    inventory: list[StackInventory]
    roles: list[iam.RoleSummary]
    findings: findings.Findings
    readiness: list[readiness.Flag]
    safety: dict[str, list[safety.SafetyRow]]
    cost: cost.CostEstimate
    transcoding: transcoding.TranscodingEstimate | None
    diagram: diagram.Diagram

    @property
    def stacks(self) -> list[StackArtifact]:
        return [entry.artifact for entry in self.inventory]

    @property
    def resource_count(self) -> int:
        return sum(entry.count for entry in self.inventory)


def inventory_of(index: AssemblyIndex, stack: StackArtifact) -> StackInventory:
    outputs = [
        Output(
            name,
            index.render(stack.stack_name, output.get("Value")),
            index.render(stack.stack_name, output.get("Export", {}).get("Name", "")),
        )
        for name, output in stack.template.get("Outputs", {}).items()
    ]
    return StackInventory(
        artifact=stack,
        types=Counter(resource.get("Type", "?") for resource in stack.resources.values()),
        outputs=outputs,
        consumes=index.cross_stack_references(stack.stack_name),
    )


def build_review(
    env: str,
    all_stacks: list[StackArtifact],
    outdir: Path,
    checkov: findings.CheckovResult,
    prices: cost.PriceTable,
) -> Review:
    """Everything the report says about ``env``; ``checkov`` may cover more environments."""
    index = AssemblyIndex(all_stacks)
    stacks = [stack for stack in all_stacks if stack.stage == env]
    if not stacks:
        raise ValueError(f"no stacks of environment {env!r} in {outdir}")
    names = [stack.stack_name for stack in stacks]
    own_checkov = findings.CheckovResult(
        ran=checkov.ran,
        version=checkov.version,
        passed=Counter({name: checkov.passed[name] for name in names if name in checkov.passed}),
        failed=[f for f in checkov.failed if f.stack in names],
        skipped=[f for f in checkov.skipped if f.stack in names],
        error=checkov.error,
    )
    return Review(
        env=env,
        index=index,
        inventory=[inventory_of(index, stack) for stack in stacks],
        roles=[role for name in names for role in iam.summarize_roles(index, name)],
        findings=findings.collect(stacks, outdir, own_checkov),
        readiness=readiness.readiness_flags(env, stacks),
        safety={name: safety.safety_rows(index, name) for name in names},
        cost=cost.estimate(index, names, prices),
        transcoding=transcoding.estimate(index, names, prices),
        diagram=diagram.build(index, names, f"Showrunner {env}: generated from cdk.out"),
    )
