"""Ingest stack and the catalog table, as synthesized in every environment.

Every MediaConvert document the stacks synthesize is checked against botocore's bundled
model (``stacks/config/mediaconvert_model.py``): each job template's ``SettingsJson`` as
``CreateJobTemplate``, and the job the workflow submits, rebuilt from the synthesized
state machine's ``Transcode`` parameters and the workflow function's plan for sources of
every size, as ``CreateJob``. A mistyped field anywhere fails here (and at synth).
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

import pytest
from ingest_workflow.plan import plan
from ingest_workflow.settings import Settings

from stacks.config.mediaconvert_model import problems
from stacks.config.protection import FAIRPLAY, PLAYREADY, WIDEVINE
from tests.support.synth import Synthesized
from tests.support.templates import logical_id_by_path, resources_of_type
from tools.developer.review.intrinsics import AssemblyIndex
from tools.developer.stepfunctions.paths import render

SOURCES = [(3840, 2160), (1920, 1080), (1280, 720), (1920, 800), (720, 576), (640, 360), (320, 180)]


def _rendered(index: AssemblyIndex, stack: str, value: Any) -> Any:
    """``value`` with every intrinsic rendered as text (``${Logical.Attr}``), its structure kept."""
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)).startswith(("Ref", "Fn::")):
            return index.render(stack, value)
        return {key: _rendered(index, stack, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rendered(index, stack, item) for item in value]
    return value


def _ingest(synthesized: Synthesized, env: str) -> dict[str, Any]:
    template: dict[str, Any] = synthesized.stack(env, "Ingest").template
    return template


def _definition(synthesized: Synthesized, env: str) -> dict[str, Any]:
    """The state machine's definition, every reference rendered as ``${Logical.Attr}`` text."""
    index = AssemblyIndex(synthesized.stacks)
    (machine,) = resources_of_type(_ingest(synthesized, env), "AWS::StepFunctions::StateMachine").values()
    text = index.render(f"{env}-Ingest", machine["Properties"]["DefinitionString"])
    definition: dict[str, Any] = json.loads(text)
    return definition


def _workflow_settings(synthesized: Synthesized, env: str) -> Settings:
    template = _ingest(synthesized, env)
    function = template["Resources"][logical_id_by_path(template, "Ingest/Workflow/WorkflowFunction/Resource")]
    index = AssemblyIndex(synthesized.stacks)
    variables = {
        name: index.render(f"{env}-Ingest", value)
        for name, value in function["Properties"]["Environment"]["Variables"].items()
    }
    return Settings.from_env(variables)


def test_every_job_template_is_valid_for_mediaconvert(synthesized: Synthesized, env: str):
    templates = resources_of_type(_ingest(synthesized, env), "AWS::MediaConvert::JobTemplate")
    ladder = synthesized.configs[env].ingest.ladder
    assert sorted(t["Properties"]["Name"] for t in templates.values()) == sorted(
        f"showrunner-{env}-ingest-{rung.name}{suffix}" for rung in ladder for suffix in ("", "-aes128")
    )
    for template in templates.values():
        properties = template["Properties"]
        request = {
            "Name": properties["Name"],
            "Description": properties["Description"],
            "Category": properties["Category"],
            "Queue": f"arn:aws:mediaconvert:us-east-1:123456789012:queues/showrunner-{env}-ingest",
            "AccelerationSettings": properties["AccelerationSettings"],
            "StatusUpdateInterval": properties["StatusUpdateInterval"],
            "Settings": properties["SettingsJson"],
        }
        assert problems("CreateJobTemplate", request) == [], properties["Name"]
        assert properties["AccelerationSettings"] == {"Mode": "DISABLED"}


@pytest.mark.parametrize("size", SOURCES, ids=[f"{w}x{h}" for w, h in SOURCES])
def test_every_job_the_workflow_submits_is_valid_for_mediaconvert(synthesized: Synthesized, env: str, size):
    definition = _definition(synthesized, env)
    transcode = definition["States"]["Transcode"]
    assert transcode["Resource"] == "arn:${AWS::Partition}:states:::mediaconvert:createJob.sync"
    settings = _workflow_settings(synthesized, env)
    source = {"ok": True, "titleId": "t0123456789abcdef01234567", "bucket": "ingest", "key": "incoming/film.mov"}
    probe = {
        "ProbeResults": [
            {
                "Container": {
                    "Duration": 5400.0,
                    "Tracks": [
                        {"TrackType": "video", "VideoProperties": {"Width": size[0], "Height": size[1]}},
                        {"TrackType": "audio"},
                    ],
                }
            }
        ]
    }
    context = {"Execution": {"Id": "arn:aws:states:us-east-1:123456789012:execution:m:e"}}
    speke = {
        "url": "https://abcdefghij.execute-api.us-east-1.amazonaws.com/prod/copyProtection",
        "dashSystemIds": [WIDEVINE, PLAYREADY],
        "hlsSystemIds": [FAIRPLAY],
        "videoPreset": "SHARED",
        "audioPreset": "SHARED",
    }
    for protection in ("none", "aes-128", "speke"):
        chosen = dataclasses.replace(settings, protection=protection, speke=speke)
        state = {"source": source, "plan": plan(chosen, source, probe)}
        request = render(transcode["Parameters"], state, context)
        templates = settings.protected_templates if protection == "aes-128" else settings.templates
        assert request["JobTemplate"] in templates, protection
        assert request["Settings"]["Inputs"][0]["FileInput"] == "s3://ingest/incoming/film.mov"
        assert problems("CreateJob", request) == [], protection
        package = request["Settings"]["OutputGroups"][0]["OutputGroupSettings"]
        if protection == "aes-128":
            encryption = package["HlsGroupSettings"]["Encryption"]
            assert encryption["StaticKeyProvider"]["Url"] == f"keys/{state['plan']['contentKey']['keyId']}"
            assert bytes.fromhex(encryption["StaticKeyProvider"]["StaticKeyValue"]) == base64.b64decode(
                state["plan"]["contentKey"]["key"]
            )
        elif protection == "speke":
            provider = package["CmafGroupSettings"]["Encryption"]["SpekeKeyProvider"]
            assert provider["ResourceId"] == source["titleId"]
            assert provider["DashSignaledSystemIds"] == [WIDEVINE, PLAYREADY]
            # The same check fails a mistyped SPEKE setting.
            provider["DashSignalledSystemIds"] = provider.pop("DashSignaledSystemIds")
            assert any("DashSignalledSystemIds" in problem for problem in problems("CreateJob", request))
        else:
            assert "Encryption" not in package["CmafGroupSettings"]


def test_the_mediaconvert_role_reads_incoming_and_writes_the_package_only(synthesized: Synthesized, env: str):
    template = _ingest(synthesized, env)
    policy = template["Resources"][logical_id_by_path(template, "Ingest/Transcoding/Role/DefaultPolicy/Resource")]
    rendered = _rendered(AssemblyIndex(synthesized.stacks), f"{env}-Ingest", policy["Properties"]["PolicyDocument"])
    statements = rendered["Statement"]
    assert [(s["Sid"], s["Action"], s["Resource"]) for s in statements] == [
        ("ReadSources", "s3:GetObject", "${IngestBucket2B3522FA.Arn}/incoming/*"),
        (
            "WritePackages",
            "s3:PutObject",
            [
                f"${{{env}-Storage/ContentBucket52D4B12C.Arn}}/vod/*/cmaf*",
                f"${{{env}-Storage/ContentBucket52D4B12C.Arn}}/vod/*/dash*",
                f"${{{env}-Storage/ContentBucket52D4B12C.Arn}}/vod/*/hls*",
                f"${{{env}-Storage/ContentBucket52D4B12C.Arn}}/vod/*/images/*",
            ],
        ),
    ]


def test_the_queue_bucket_rule_and_state_machine(synthesized: Synthesized, env: str):
    template = _ingest(synthesized, env)
    config = synthesized.configs[env]
    (queue,) = resources_of_type(template, "AWS::MediaConvert::Queue").values()
    assert queue["Properties"] == {
        "ConcurrentJobs": config.ingest.queue_concurrent_jobs,
        "Description": f"Showrunner {env}: ingest jobs, on demand",
        "Name": f"showrunner-{env}-ingest",
        "PricingPlan": "ON_DEMAND",
        "Status": "ACTIVE",
        "Tags": queue["Properties"]["Tags"],
    }
    bucket = template["Resources"][logical_id_by_path(template, "Ingest/IngestBucket/Resource")]
    assert bucket["Properties"]["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }
    assert bucket["DeletionPolicy"] == ("Retain" if config.retain_data else "Delete")
    assert not resources_of_type(template, "Custom::S3BucketNotifications")
    (rule,) = resources_of_type(template, "AWS::Events::Rule").values()
    assert rule["Properties"]["EventPattern"]["detail"]["object"] == {"key": [{"prefix": "incoming/"}]}
    (target,) = rule["Properties"]["Targets"]
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 8}
    assert "DeadLetterConfig" in target
    (machine,) = resources_of_type(template, "AWS::StepFunctions::StateMachine").values()
    assert machine["Properties"]["LoggingConfiguration"]["Level"] == "ALL"
    assert machine["Properties"]["TracingConfiguration"] == {"Enabled": True}
    # No custom resources in the pipeline: only CDK's bucket emptier, where the bucket is deleted.
    custom = {r["Type"] for r in template["Resources"].values() if r["Type"].startswith("Custom::")}
    assert custom == (set() if config.retain_data else {"Custom::S3AutoDeleteObjects"})


@pytest.mark.parametrize(
    ("path", "key_schema"),
    [
        ("Storage/Catalog/Table/Resource", [{"AttributeName": "titleId", "KeyType": "HASH"}]),
        (
            "Storage/ContentKeys/Table/Resource",
            [{"AttributeName": "titleId", "KeyType": "HASH"}, {"AttributeName": "keyId", "KeyType": "RANGE"}],
        ),
    ],
    ids=["catalog", "content-keys"],
)
def test_the_catalog_and_content_keys_tables(
    synthesized: Synthesized, env: str, path: str, key_schema: list[dict[str, str]]
):
    template = synthesized.stack(env, "Storage").template
    table = template["Resources"][logical_id_by_path(template, path)]
    properties = table["Properties"]
    retain = synthesized.configs[env].retain_data
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["KeySchema"] == key_schema
    assert properties["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    (replica,) = properties["Replicas"]
    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert replica["DeletionProtectionEnabled"] is retain
    key_id = replica["SSESpecification"]["KMSMasterKeyId"]["Fn::GetAtt"][0]
    assert template["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True
    assert table["DeletionPolicy"] == ("Retain" if retain else "Delete")


def test_each_table_has_a_kms_key_of_its_own(synthesized: Synthesized, env: str):
    template = synthesized.stack(env, "Storage").template
    keys = [
        table["Properties"]["Replicas"][0]["SSESpecification"]["KMSMasterKeyId"]["Fn::GetAtt"][0]
        for table in resources_of_type(template, "AWS::DynamoDB::GlobalTable").values()
    ]
    assert len(keys) == len(set(keys)) == 2


def test_no_template_holds_a_content_key_and_the_workflow_logs_no_execution_data(synthesized: Synthesized, env: str):
    """A content key exists only at run time (the plan draws it): no template of the stage names one, and the
    state machine, whose state carries an aes-128 title's key to the job, logs no execution data."""
    for artifact in (s for s in synthesized.stacks if s.stage == env):
        text = artifact.template_path.read_text()
        assert "StaticKeyValue" not in text, artifact.display_name
        assert "SpekeKeyProvider" not in text, artifact.display_name  # SPEKE is added by the job, per title
    (machine,) = resources_of_type(_ingest(synthesized, env), "AWS::StepFunctions::StateMachine").values()
    logging = machine["Properties"]["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    assert logging.get("IncludeExecutionData", False) is False
