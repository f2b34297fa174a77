"""Read a synthesized cloud assembly: stages, stacks, templates and nag acknowledgments.

Only the files CDK writes are read (``manifest.json``, templates and
``*.metadata.json``); nothing is synthesized again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

NAG_PREFIX = "Annotation::AwsSolutions-"


@dataclass(frozen=True)
class StackArtifact:
    stage: str
    artifact_id: str
    stack_name: str
    display_name: str
    region: str
    termination_protection: bool
    directory: Path
    template_file: str
    dependencies: tuple[str, ...]
    metadata_file: str | None = field(default=None)
    template_object_url: str = ""
    requires_bootstrap_version: int = 0

    @property
    def template_path(self) -> Path:
        return self.directory / self.template_file

    @cached_property
    def template(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.template_path.read_text(encoding="utf-8"))
        return loaded

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return resources

    def nag_acknowledgments(self) -> list[tuple[str, str, str]]:
        """(construct path, rule, reason) for every cdk-nag acknowledgment in this stack."""
        if self.metadata_file is None:
            return []
        metadata = json.loads((self.directory / self.metadata_file).read_text(encoding="utf-8"))
        found = []
        for path, entries in metadata.items():
            for entry in entries:
                if entry.get("type") != "aws:cdk:acknowledged-rules":
                    continue
                for rule, reason in entry["data"].items():
                    if rule.startswith(NAG_PREFIX):
                        found.append((path, rule.removeprefix("Annotation::"), reason))
        return found

    def acknowledged_rules(self) -> list[tuple[str, str, str]]:
        """(construct path, rule, reason) for every acknowledged validation rule: cdk-nag and CDK's own validations."""
        if self.metadata_file is None:
            return []
        metadata = json.loads((self.directory / self.metadata_file).read_text(encoding="utf-8"))
        return [
            (path, rule.removeprefix("Annotation::"), reason)
            for path, entries in metadata.items()
            for entry in entries
            if entry.get("type") == "aws:cdk:acknowledged-rules"
            for rule, reason in entry["data"].items()
        ]


def _stacks_in(directory: Path, stage: str) -> list[StackArtifact]:
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    stacks = []
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") == "cdk:cloud-assembly":
            nested = directory / artifact["properties"]["directoryName"]
            stacks.extend(_stacks_in(nested, artifact["properties"].get("displayName", artifact_id)))
        elif artifact.get("type") == "aws:cloudformation:stack":
            props = artifact["properties"]
            stacks.append(
                StackArtifact(
                    stage=stage,
                    artifact_id=artifact_id,
                    stack_name=props["stackName"],
                    display_name=artifact.get("displayName", props["stackName"]),
                    region=artifact["environment"].rsplit("/", 1)[-1],
                    termination_protection=bool(props.get("terminationProtection", False)),
                    directory=directory,
                    template_file=props["templateFile"],
                    dependencies=tuple(d for d in artifact.get("dependencies", []) if not d.endswith(".assets")),
                    metadata_file=artifact.get("additionalMetadataFile"),
                    template_object_url=props.get("stackTemplateAssetObjectUrl", ""),
                    requires_bootstrap_version=int(props.get("requiresBootstrapStackVersion", 0)),
                )
            )
    return stacks


def load_stacks(outdir: str | Path = "cdk.out") -> list[StackArtifact]:
    """Every stack in the assembly, stage by stage, in manifest order."""
    return _stacks_in(Path(outdir), stage="")


def validation_failures(outdir: str | Path = "cdk.out") -> int:
    """Violations that policy-validation plugins (cdk-nag) reported in ``validation-report.json``."""
    report_path = Path(outdir) / "validation-report.json"
    if not report_path.exists():
        return 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    return sum(
        len(violation.get("violatingConstructs", [])) or 1
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
    )


@dataclass(frozen=True)
class Violation:
    plugin: str
    rule: str
    construct_path: str
    description: str


def validation_violations(outdir: str | Path = "cdk.out") -> list[Violation]:
    """Each unacknowledged violation in ``validation-report.json``, one per violating construct."""
    report_path = Path(outdir) / "validation-report.json"
    if not report_path.exists():
        return []
    report = json.loads(report_path.read_text(encoding="utf-8"))
    return [
        Violation(plugin["pluginName"], violation["ruleName"], construct["constructPath"], violation["description"])
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    ]
