"""MediaConvert's role, proven by running a job under it: it reads ``incoming/``, writes the package, nothing else.

The dev stage is deployed into moto. A probe user assumes the Ingest stack's MediaConvert
role (its trust policy names the service, so the probe joins it only while assuming, as in
``conftest.py``), and the local transcoder (``tools/developer/mediaconvert``) runs a job from
the deployed 240p template with those credentials while IAM is enforced: every object it reads
and writes is an S3 request the role's policy must allow. Removing either statement breaks the
job with MediaConvert's permissions error (1401); the role cannot write the published manifests
(``master.m3u8``, ``manifest.mpd``) nor read anything outside ``incoming/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.iam.models import iam_backends

from tests.iam.conftest import STAGE, admin
from tests.iam.enforcement import enforced
from tests.support.aws import ACCOUNT, REGION
from tests.support.media import make_source
from tests.support.synth import Synthesized
from tools.developer.mediaconvert.transcoder import JobFailedError, run_job
from tools.developer.rehearsal.deployer import Deployer

TITLE = "t00000000000000000000role1"


@dataclass
class MediaConvertRole:
    name: str
    arn: str
    credentials: dict[str, str]
    ingest_bucket: str
    content_bucket: str
    template: dict[str, Any]

    def s3(self) -> Any:
        return boto3.client(
            "s3",
            region_name=REGION,
            aws_access_key_id=self.credentials["AccessKeyId"],
            aws_secret_access_key=self.credentials["SecretAccessKey"],
            aws_session_token=self.credentials["SessionToken"],
        )

    def statements(self) -> tuple[str, dict[str, Any]]:
        backend = iam_backends[ACCOUNT]["aws"]
        (policy_name,) = backend.list_role_policies(self.name)
        document = backend.get_role_policy(self.name, policy_name)[1]
        return policy_name, json.loads(document) if isinstance(document, str) else dict(document)

    def job(self, tmp_path: Path) -> dict[str, Any]:
        request = {
            "Role": self.arn,
            "JobTemplate": "showrunner-dev-ingest-240p",
            "Settings": {
                "Inputs": [{"FileInput": f"s3://{self.ingest_bucket}/incoming/role.mp4"}],
                "OutputGroups": [
                    {"OutputGroupSettings": {"CmafGroupSettings": {"Destination": self._to("cmaf")}}},
                    {"OutputGroupSettings": {"FileGroupSettings": {"Destination": self._to("images/frame")}}},
                ],
            },
        }
        with enforced():
            return run_job(request, self.template, self.s3(), tmp_path / "job", region=REGION, account=ACCOUNT)

    def _to(self, base: str) -> str:
        return f"s3://{self.content_bucket}/vod/{TITLE}/{base}"


@pytest.fixture(scope="module")
def role(synthesized: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaConvertRole]:
    source = make_source(tmp_path_factory.mktemp("role") / "role.mp4", width=320, height=180, seconds=2)
    with mock_aws():
        records = {r.display_name: r for r in Deployer.for_stage(synthesized.outdir, STAGE, admin).deploy()}
        ingest = records["dev/Ingest"]
        physical = {r.logical_id: r.physical_id for r in ingest.resources}
        (role_id,) = (lid for lid in physical if lid.startswith("TranscodingRole") and "Policy" not in lid)
        (template_id,) = (
            lid
            for lid, resource in synthesized.stack(STAGE, "Ingest").resources.items()
            if resource["Type"] == "AWS::MediaConvert::JobTemplate"
            and resource["Properties"]["Name"] == "showrunner-dev-ingest-240p"
        )
        template = synthesized.stack(STAGE, "Ingest").resources[template_id]["Properties"]["SettingsJson"]
        iam = admin("iam")
        name = physical[role_id]
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
        iam.create_user(UserName="mediaconvert-probe")
        key = iam.create_access_key(UserName="mediaconvert-probe")["AccessKey"]
        probe_arn = iam.get_user(UserName="mediaconvert-probe")["User"]["Arn"]
        iam.put_user_policy(
            UserName="mediaconvert-probe",
            PolicyName="assume",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn}],
                }
            ),
        )
        trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        probe = {"Effect": "Allow", "Principal": {"AWS": probe_arn}, "Action": "sts:AssumeRole"}
        iam.update_assume_role_policy(
            RoleName=name, PolicyDocument=json.dumps({**trust, "Statement": [*trust["Statement"], probe]})
        )
        sts = boto3.client(
            "sts",
            region_name=REGION,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        with enforced():
            assumed = sts.assume_role(RoleArn=arn, RoleSessionName="mediaconvert-job")["Credentials"]
        credentials = {k: str(assumed[k]) for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
        ingest_bucket = ingest.outputs["IngestBucketName"]
        content_bucket = next(
            r.physical_id for r in records["dev/Storage"].resources if r.logical_id.startswith("ContentBucket")
        )
        admin("s3").put_object(Bucket=ingest_bucket, Key="incoming/role.mp4", Body=source.read_bytes())
        admin("s3").put_object(Bucket=ingest_bucket, Key="elsewhere/role.mp4", Body=source.read_bytes())
        yield MediaConvertRole(name, arn, credentials, ingest_bucket, content_bucket, template)


def test_the_trust_policy_names_mediaconvert_for_this_queue_only(role: MediaConvertRole, synthesized: Synthesized):
    document = iam_backends[ACCOUNT]["aws"].get_role(role.name).assume_role_policy_document
    (statement,) = json.loads(document)["Statement"]
    assert statement["Principal"] == {"Service": "mediaconvert.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"].endswith(":queues/showrunner-dev-ingest")


def test_a_job_runs_under_the_role_reading_incoming_and_writing_the_package(role: MediaConvertRole, tmp_path: Path):
    job = role.job(tmp_path)
    assert job["Status"] == "COMPLETE"
    keys = {
        o["Key"] for o in admin("s3").list_objects_v2(Bucket=role.content_bucket, Prefix=f"vod/{TITLE}/")["Contents"]
    }
    assert f"vod/{TITLE}/cmaf.m3u8" in keys
    assert f"vod/{TITLE}/images/frame_poster.0000000.jpg" in keys, [k for k in keys if "cmaf_" not in k]


@pytest.mark.parametrize(("sid", "what"), [("ReadSources", "s3://"), ("WritePackages", "writing s3://")])
def test_each_statement_is_needed(role: MediaConvertRole, tmp_path: Path, sid: str, what: str):
    policy_name, original = role.statements()
    kept = [s for s in original["Statement"] if s.get("Sid") != sid]
    assert len(kept) == len(original["Statement"]) - 1
    backend = iam_backends[ACCOUNT]["aws"]
    backend.put_role_policy(role.name, policy_name, json.dumps({**original, "Statement": kept}))
    try:
        with pytest.raises(JobFailedError) as failed:
            role.job(tmp_path)
    finally:
        backend.put_role_policy(role.name, policy_name, json.dumps(original))
    assert failed.value.job["ErrorCode"] == 1401
    assert what in failed.value.job["ErrorMessage"]


def test_it_cannot_publish_a_manifest_nor_read_outside_incoming(role: MediaConvertRole):
    s3 = role.s3()
    with enforced():
        for key in (f"vod/{TITLE}/master.m3u8", f"vod/{TITLE}/manifest.mpd", "vod/other/segment.mp4"):
            with pytest.raises(ClientError) as denied:
                s3.put_object(Bucket=role.content_bucket, Key=key, Body=b"#EXTM3U\n")
            assert denied.value.response["Error"]["Code"] == "AccessDenied", key
        with pytest.raises(ClientError) as denied:
            s3.get_object(Bucket=role.ingest_bucket, Key="elsewhere/role.mp4")
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
        s3.put_object(Bucket=role.content_bucket, Key=f"vod/{TITLE}/cmaf_probe.mp4", Body=b"x")  # its own pattern
