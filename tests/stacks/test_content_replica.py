"""Prod's content replica in a second region, and the replication rule that feeds it."""

from __future__ import annotations

from tests.support.synth import Synthesized
from tests.support.templates import REPLICA_BUCKET, logical_id_by_path, physical_name, resources_of_type


def test_only_prod_has_a_replica(synthesized: Synthesized):
    assert [s.display_name for s in synthesized.stacks if s.display_name.endswith("/ContentReplica")] == [
        "prod/ContentReplica"
    ]
    assert synthesized.configs["prod"].edge.replica_region == "us-west-2"


def test_replica_bucket_is_a_retained_secure_bucket_in_the_replica_region(synthesized: Synthesized):
    stack = synthesized.stack("prod", "ContentReplica")
    assert stack.region == "us-west-2"
    assert stack.termination_protection
    template = stack.template
    replica_id = logical_id_by_path(template, "ContentReplica/ContentReplicaBucket/Resource")
    logs_id = logical_id_by_path(template, "ContentReplica/ReplicaLogsBucket/Resource")
    replica = template["Resources"][replica_id]
    props = replica["Properties"]
    assert props["BucketName"] == physical_name(
        {"Fn::Join": ["", ["showrunner-prod-replica-", {"Ref": "AWS::AccountId"}]]}, retained=True
    )
    assert stack.template["Outputs"]["ReplicaBucketName"]["Value"] == {"Ref": replica_id}
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_id}
    assert replica["DeletionPolicy"] == "Retain"
    rules = {r["Id"] for r in props["LifecycleConfiguration"]["Rules"]}
    assert "intelligent-tiering" in rules

    (policy,) = [
        p
        for p in resources_of_type(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": replica_id}
    ]
    grants = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid")]
    assert [g["Sid"] for g in grants] == ["AllowCloudFrontOriginAccessControlRead"]
    assert grants[0]["Resource"] == {"Fn::Join": ["", [{"Fn::GetAtt": [replica_id, "Arn"]}, "/vod/*"]]}


def test_content_bucket_replicates_vod_to_the_replica(synthesized: Synthesized):
    storage = synthesized.stack("prod", "Storage")
    assert any(d.startswith("prodContentReplica") for d in storage.dependencies)
    template = storage.template
    content_id = logical_id_by_path(template, "Storage/ContentBucket/Resource")
    replication = template["Resources"][content_id]["Properties"]["ReplicationConfiguration"]
    (rule,) = replication["Rules"]
    assert rule["Destination"] == {"Bucket": {"Fn::Join": ["", ["arn:aws:s3:::", REPLICA_BUCKET]]}}
    assert rule["Filter"] == {"Prefix": "vod/"}
    assert rule["Status"] == "Enabled"
    assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}
    role_id = replication["Role"]["Fn::GetAtt"][0]
    role = template["Resources"][role_id]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}}
    ]
    (policy,) = [
        p
        for p in resources_of_type(template, "AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    writes = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if "s3:ReplicateObject" in s["Action"]]
    assert writes[0]["Resource"] == {"Fn::Join": ["", ["arn:aws:s3:::", REPLICA_BUCKET, "/*"]]}


def test_dev_and_staging_do_not_replicate(synthesized: Synthesized):
    for stage in ("dev", "staging"):
        template = synthesized.stack(stage, "Storage").template
        content_id = logical_id_by_path(template, "Storage/ContentBucket/Resource")
        assert "ReplicationConfiguration" not in template["Resources"][content_id]["Properties"]
