"""make review on the real app: every figure in the reports is checked against the templates themselves."""

from __future__ import annotations

import json
import re
import struct
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from defusedxml import ElementTree

from stacks.config import ENVIRONMENT_NAMES
from tests.support.readme import readme_block, shown_in_order
from tests.support.synth import Synthesized, make
from tests.support.templates import declared_checkov_skips
from tools.developer.review.__main__ import main
from tools.developer.review.cost import PRICES
from tools.developer.review.safety import DEPENDENT_TYPES, STATEFUL_TYPES

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    docs: Path

    def report(self, env: str) -> str:
        return (self.docs / f"{env}.md").read_text()


@pytest.fixture(scope="module")
def run(synthesized: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``make review`` of every environment, on the assembly ``make synth`` wrote (REVIEW_SYNTH=no)."""
    docs = tmp_path_factory.mktemp("review")
    result = make("review", f"CDK_OUT={synthesized.outdir}", f"REVIEW_DOCS={docs}", "REVIEW_SYNTH=no", timeout=900)
    return Run(result.returncode, result.stdout, result.stderr, docs)


def _templates(synthesized: Synthesized, env: str) -> dict[str, dict[str, Any]]:
    return {s.stack_name: s.template for s in synthesized.stacks if s.stage == env}


def _section(report: str, heading: str) -> str:
    start = report.index(heading)
    end = report.find("\n## ", start + len(heading))
    return report[start : end if end != -1 else len(report)]


def test_review_writes_a_report_and_a_diagram_per_environment_and_summarizes(run: Run, synthesized: Synthesized):
    assert run.code == 0, run.stdout + run.stderr
    assert re.search(r"^\[1/7\] checkov on \d+ templates \.\.\. \d+\.\d s$", run.stderr, re.M), run.stderr
    for env in ENVIRONMENT_NAMES:
        for suffix in ("md", "svg", "png"):
            assert (run.docs / f"{env}.{suffix}").stat().st_size > 0
        templates = _templates(synthesized, env)
        resources = sum(len(t["Resources"]) for t in templates.values())
        roles = sum(1 for t in templates.values() for r in t["Resources"].values() if r["Type"] == "AWS::IAM::Role")
        row = next(line.split() for line in run.stdout.splitlines() if line.startswith(f"{env} "))
        assert row[1:4] == [str(len(templates)), str(resources), str(roles)]
        assert row[5] == "0", "unreviewed failures"


def test_the_readme_shows_the_summary_make_review_prints(run: Run):
    shown = readme_block("env       stacks  resources")
    printed = run.stdout.splitlines()
    assert len(shown) == 5  # header, rule, dev, staging, prod
    assert shown_in_order(shown, printed) == []


def test_prod_flags_a_user_pool_without_an_email_sender_and_other_environments_are_not_checked(run: Run):
    prod = (run.docs / "prod.md").read_text()
    assert "| Production readiness | **1 flagged** |" in prod
    section = _section(prod, "## Production readiness")
    assert "| prod-Api | Viewers | the user pool sends viewers' verification and password-reset emails" in section
    for env in ("dev", "staging"):
        report = (run.docs / f"{env}.md").read_text()
        assert "| Production readiness | not checked (only prod is) |" in report
        assert "## Production readiness" not in report


def test_inventory_counts_equal_the_templates(run: Run, synthesized: Synthesized):
    for env in ENVIRONMENT_NAMES:
        report = run.report(env)
        templates = _templates(synthesized, env)
        total = sum(len(t["Resources"]) for t in templates.values())
        assert re.search(rf"^\| Resources \| {total} \(largest: ", report, re.M)
        for stack, template in templates.items():
            section = report[report.index(f"### {stack} (") :]
            section = section[: section.index("\n### ", 1) if "\n### " in section[1:] else len(section)]
            expected = Counter(r["Type"] for r in template["Resources"].values())
            assert f"{sum(expected.values())} of 500 resources" in section
            artifact = next(s for s in synthesized.stacks if s.stack_name == stack)
            names = {s.artifact_id: s.stack_name for s in synthesized.stacks}
            depends = ", ".join(names[d] for d in artifact.dependencies) or "nothing"
            assert f"Depends on: {depends}." in section
            rows = dict(re.findall(r"^\| ((?:AWS|Custom)::[\w:]+) \| (\d+) \|$", section, re.M))
            assert {k: int(v) for k, v in rows.items()} == dict(expected), stack


def test_iam_section_covers_every_role(run: Run, synthesized: Synthesized):
    for env in ENVIRONMENT_NAMES:
        expected = {
            f"{stack} / {logical_id}"
            for stack, template in _templates(synthesized, env).items()
            for logical_id, resource in template["Resources"].items()
            if resource["Type"] == "AWS::IAM::Role"
        }
        iam = _section(run.report(env), "## IAM")
        assert set(re.findall(r"^#### (.+)$", iam, re.M)) == expected
        assert "Fn::" not in iam, "resources are named by logical ID, not by token"
        assert '{"Ref"' not in iam


def test_cdk_provider_roles_are_flagged_for_their_aws_managed_policy(run: Run):
    iam = _section(run.report("dev"), "## IAM")
    block = iam[iam.index("#### dev-Storage / CustomS3AutoDeleteObjectsCustomResourceProviderRole") :]
    assert "- Managed policies: AWS managed: service-role/AWSLambdaBasicExecutionRole" in block.split("####")[1]
    assert "- Flags: ⚠ AWS managed policy" in block.split("####")[1]


def test_every_checkov_skip_in_the_templates_is_reported_with_its_reason(run: Run, synthesized: Synthesized):
    reasons = {(a.rule, a.reason) for a in declared_checkov_skips()}
    for env in ENVIRONMENT_NAMES:
        skips = [
            (entry["id"], entry["comment"])
            for template in _templates(synthesized, env).values()
            for resource in template["Resources"].values()
            for entry in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
        ]
        assert skips
        assert set(skips) <= reasons
        findings = _section(run.report(env), "## Findings")
        assert "**Unreviewed failures: 0** (target: 0)." in findings
        assert re.search(rf"\d+ passed, 0 failed, {len(skips)} skipped\.", findings)
        reported = re.findall(r"^\| (CKV2?_\w+) \| [\w-]+ \| [^|]+ \| [^|]+ \| ([^|]+) \|$", findings, re.M)
        assert sorted(reported) == sorted(skips)


def test_nag_acknowledgments_are_listed_with_their_reasons(run: Run, synthesized: Synthesized):
    for env in ENVIRONMENT_NAMES:
        acks = [a for s in synthesized.stacks if s.stage == env for a in s.nag_acknowledgments()]
        findings = _section(run.report(env), "## Findings")
        assert f"{len(acks)} acknowledged, each with its reason beside its stack:" in findings
        for path, rule, reason in acks:
            assert f"| {rule} | {path.lstrip('/')} | {reason} |" in findings


def test_data_safety_shows_what_each_environment_keeps(run: Run, synthesized: Synthesized):
    stateful = set(STATEFUL_TYPES)  # the table of what holds data; the rows are checked against the templates
    for env in ENVIRONMENT_NAMES:
        safety = _section(run.report(env), "## Data safety")
        rows = {m[0]: m[1] for m in re.findall(r"^\| (\w+) \| AWS::[\w:]+ \| [^|]+ \| ([^|]+) \|", safety, re.M)}
        expected = {
            logical_id: resource.get("DeletionPolicy", "Delete")
            for template in _templates(synthesized, env).values()
            for logical_id, resource in template["Resources"].items()
            if resource["Type"] in stateful
            or (resource.get("DeletionPolicy", "Delete") != "Delete" and resource["Type"] not in DEPENDENT_TYPES)
        }
        assert {k: v.strip().strip("*") for k, v in rows.items()} == expected
        retained = sum(1 for policy in expected.values() if policy == "Retain")
        assert f"| Data on teardown | {retained} retained, {len(expected) - retained} destroyed;" in run.report(env)
    assert "| Data on teardown | 0 retained," in run.report("dev")
    assert "| Data on teardown | 0 retained," not in run.report("prod")


def test_cost_lines_follow_what_the_templates_provision(run: Run, synthesized: Synthesized):
    for env in ENVIRONMENT_NAMES:
        types = Counter(r["Type"] for t in _templates(synthesized, env).values() for r in t["Resources"].values())
        cost = _section(run.report(env), "## Idle cost estimate")
        assert "**Estimate, not a bill.**" in cost
        assert f"list prices of {json.loads(PRICES.read_text())['date']}" in cost
        assert cost.count("| NAT gateway |") == types["AWS::EC2::NatGateway"]
        assert cost.count("| public IPv4 address (Elastic IP) |") == types["AWS::EC2::EIP"]
        assert cost.count("| KMS customer managed key |") == types["AWS::KMS::Key"]
        assert "Not assessed" not in cost
        assert "Incomplete" not in cost


def test_weak_cross_stack_reference_is_named_by_stack_and_logical_id(run: Run, synthesized: Synthesized):
    network = synthesized.stack("dev", "Network").template
    (spec,) = re.findall(r'"Fn::GetStackOutput": (\{[^}]+\})', json.dumps(network))
    spec = json.loads(spec)
    producer = next(s for s in synthesized.stacks if s.stack_name == spec["StackName"]).template
    logical_id, attribute = producer["Outputs"][spec["OutputName"]]["Value"]["Fn::GetAtt"]
    inventory = _section(run.report("dev"), "## Inventory")
    assert f"| dev-Storage | `${{dev-Storage/{logical_id}.{attribute}}}` | weak (Fn::GetStackOutput) |" in inventory


def test_diagrams_are_valid_images_with_stacks_as_clusters(run: Run, synthesized: Synthesized):
    for env in ENVIRONMENT_NAMES:
        root = ElementTree.parse(run.docs / f"{env}.svg").getroot()
        assert root is not None
        assert root.tag == f"{SVG}svg"
        titles = {
            "".join(t.itertext())
            for g in root.iter(f"{SVG}g")
            if g.get("class") == "cluster"
            for t in g.iter(f"{SVG}text")
        }
        assert titles <= {f"{s.stack_name} ({s.region})" for s in synthesized.stacks if s.stage == env}
        assert {f"{env}-Storage (us-east-1)", f"{env}-Network (us-east-1)", f"{env}-Api (us-east-1)"} <= titles
        png = (run.docs / f"{env}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert png[12:16] == b"IHDR"
        assert min(struct.unpack(">II", png[16:24])) > 100
        assert f"![Architecture diagram of {env}]({env}.svg)" in run.report(env)


@pytest.mark.cli
def test_make_review_names_the_environment_only_when_one_is_given():
    def command(*args: str) -> str:
        result = make("-n", "review", *args)
        assert result.returncode == 0, result.stderr
        (line,) = [line for line in result.stdout.splitlines() if "-m tools.developer.review" in line]
        return line

    assert " --env dev " in command("ENV=dev")
    assert "--env" not in command()
    assert command().rstrip().endswith("--docs docs/review")  # synthesizes first
    assert command("REVIEW_SYNTH=no").rstrip().endswith("--no-synth")


def test_the_review_synthesizes_first_and_refuses_to_replace_what_is_not_an_assembly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """The synth step with a stand-in CDK CLI that writes an empty assembly (cdk synth itself: test_nag.py)."""
    cdk = tmp_path / "cdk"
    cdk.write_text('#!/bin/sh\nshift 4\nmkdir -p "$1" && echo "{}" > "$1/manifest.json"\n')
    cdk.chmod(0o755)
    outdir = tmp_path / "cdk.out"
    outdir.mkdir()
    (outdir / "manifest.json").write_text("{}")
    (outdir / "stale.template.json").write_text("{}")
    assert main(["--outdir", str(outdir), "--cdk", str(cdk), "--docs", str(tmp_path / "docs")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("[1/8] cdk synth '**' (all stages, with cdk-nag) ... ")
    assert f"no stacks in {outdir}" in err
    assert sorted(p.name for p in outdir.iterdir()) == ["manifest.json"]  # the old assembly was replaced

    (tmp_path / "notes").mkdir()
    with pytest.raises(SystemExit, match="is not a cloud assembly"):
        main(["--outdir", str(tmp_path / "notes"), "--cdk", str(cdk), "--docs", str(tmp_path / "docs")])
