"""Write small cloud assemblies by hand, shaped like the ones CDK writes, for the review tool's tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.developer.assembly import StackArtifact, load_stacks


def write_assembly(
    outdir: Path,
    stacks: dict[str, dict[str, Any]],
    *,
    stage: str = "dev",
    region: str = "us-east-1",
    regions: dict[str, str] | None = None,
) -> list[StackArtifact]:
    """One stage (nested assembly) holding ``stacks`` (stack name -> template); returns them as loaded.

    ``regions`` overrides ``region`` for the stacks it names.
    """
    nested = outdir / f"assembly-{stage}"
    nested.mkdir(parents=True)
    artifacts: dict[str, Any] = {}
    for name, template in stacks.items():
        artifact_id = name.replace("-", "")
        (nested / f"{artifact_id}.template.json").write_text(json.dumps(template), encoding="utf-8")
        artifacts[artifact_id] = {
            "type": "aws:cloudformation:stack",
            "environment": f"aws://unknown-account/{(regions or {}).get(name, region)}",
            "properties": {"templateFile": f"{artifact_id}.template.json", "stackName": name},
            "displayName": f"{stage}/{name.split('-', 1)[-1]}",
        }
    (nested / "manifest.json").write_text(json.dumps({"artifacts": artifacts}), encoding="utf-8")
    root = {
        "artifacts": {
            f"assembly-{stage}": {
                "type": "cdk:cloud-assembly",
                "properties": {"directoryName": f"assembly-{stage}", "displayName": stage},
            }
        }
    }
    (outdir / "manifest.json").write_text(json.dumps(root), encoding="utf-8")
    return load_stacks(outdir)


def resource(resource_type: str, path: str = "", **properties: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"Type": resource_type, "Properties": properties}
    if path:
        result["Metadata"] = {"aws:cdk:path": path}
    return result
