"""End-to-end playback, offline: the dev stage deployed into moto, a real title, a local edge, a real player.

Set-up, in the order an operator would do it (docs/operations.md, "The CloudFront signing key"):

1. generate an RSA-2048 key pair (at test time; never committed) and synthesize the dev stage
   with its public half as ``edge.signing_public_keys``;
2. deploy the stage into moto with the rehearsal deployer; the key group now holds that key;
3. seed the private half into the Playback stack's secret as ``tools/operator/signing_key.py``
   does (a pending version, then ``activate`` with the key's CloudFront ID);
4. make the sample title with ``assets/sample/make-title.sh`` and upload it under ``vod/<titleId>/``;
5. start the local edge (``local_edge.py``) as the deployed distribution's domain, trusting the
   deployed key group's public keys, forwarding what the deployed manifest behavior forwards.
"""

from __future__ import annotations

import json
import mimetypes
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import manifest_rewriter.handler
import pytest
import signed_url.handler
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws

from tests.e2e.local_edge import Forwarding, Headers, LocalEdge, Response, self_signed_certificate
from tests.support.aws import client
from tests.support.events import playback_event
from tests.support.synth import ROOT, cdk_context
from tools.developer import moto_models
from tools.developer.assembly import StackArtifact, load_stacks
from tools.developer.rehearsal.deployer import Deployer, StackRecord
from tools.operator.signing_key import PENDING, activate

moto_models.install()

MAKE_TITLE = ROOT / "assets" / "sample" / "make-title.sh"
SITE = ROOT / "assets" / "origin" / "site"
ORIGIN_NGINX = ROOT / "assets" / "origin" / "showrunner.conf"

# hls.js from npm (package.json); the watch page loads it from jsDelivr's npm CDN at this path.
HLS_JS = ROOT / "node_modules" / "hls.js" / "dist" / "hls.light.min.js"
HLS_JS_VERSION = json.loads((ROOT / "package.json").read_text())["dependencies"]["hls.js"]
HLS_JS_CDN_PATH = f"/npm/hls.js@{HLS_JS_VERSION}/dist/{HLS_JS.name}"
TITLE_SECONDS = 4
INGEST_LIMIT_GIB = 2 / 1024
# Two copies of the same title: A is played, B is what A's token must not open.
TITLE_A, TITLE_B = "sample-a", "sample-b"
# The viewer the catalog page's browser test signs in as (see playback_api).
VIEWER_TOKEN, VIEWER_SUB = "e2e-viewer-id-token", "viewer-browser"
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
}


def origin_site_headers() -> dict[str, str]:
    """The ``add_header Name "value" always;`` lines of the origin's nginx server (our own file)."""
    found = re.findall(r'^\s*add_header\s+(\S+)\s+"([^"]*)"\s+always;', ORIGIN_NGINX.read_text(), re.MULTILINE)
    headers = dict(found)
    if "Content-Security-Policy" not in headers:
        raise ValueError(f"{ORIGIN_NGINX} has no Content-Security-Policy header")
    return headers


@dataclass(frozen=True)
class SigningKeyPair:
    private_pem: str
    public_key_path: Path


@pytest.fixture(scope="session")
def signing_key_pair(tmp_path_factory: pytest.TempPathFactory) -> SigningKeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("keys") / "e2e.pub.pem"
    path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return SigningKeyPair(private.decode("ascii"), path)


@pytest.fixture(scope="session")
def dev_stage(tmp_path_factory: pytest.TempPathFactory, signing_key_pair: SigningKeyPair) -> list[StackArtifact]:
    """The dev stage alone, with the test's public key in its key group (no cdk-nag: tests/stacks checks that)."""
    from aws_cdk import App

    from stacks.app_builder import configs_from_context
    from stacks.stage import ShowrunnerStage

    outdir = tmp_path_factory.mktemp("e2e-cdk.out")
    overrides = {
        "dev": {
            "edge": {"signing_public_keys": [str(signing_key_pair.public_key_path)]},
            # 2 MiB: small enough for the ingest test to upload a source that is too large.
            "ingest": {"max_source_gib": INGEST_LIMIT_GIB},
        }
    }
    app = App(outdir=str(outdir), context=cdk_context(overrides=overrides))
    ShowrunnerStage(app, configs_from_context(app)["dev"])
    app.synth()
    return [s for s in load_stacks(outdir) if s.stage == "dev"]


@pytest.fixture(scope="session")
def sample_title(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample title, made once per session by the script users run."""
    assert shutil.which("ffmpeg"), "ffmpeg is missing: make setup installs it (APT_PACKAGES)"
    out = tmp_path_factory.mktemp("title") / "sample"
    subprocess.run([str(MAKE_TITLE), str(out), str(TITLE_SECONDS)], check=True, capture_output=True, timeout=120)
    return out


@dataclass
class Playback:
    """The deployed dev stage in moto, with the title uploaded and the local edge in front."""

    edge: LocalEdge
    s3: Any
    bucket: str

    def issue(self, title_id: str, sub: str = "viewer-1") -> dict[str, Any]:
        """``GET /playback/{titleId}`` through the real issuer handler (HTTP API payload v2.0, JWT subject)."""
        response = signed_url.handler.handler(playback_event(title_id, sub), None)
        assert response["statusCode"] == 200, response
        body: dict[str, Any] = json.loads(response["body"])
        return body


def playback_api(method: str, raw_path: str, headers: Mapping[str, str], _body: bytes = b"") -> Response:
    """The local edge's ``/playback/*``: the issuer behind a stand-in for the HTTP API's JWT authorizer.

    The stand-in accepts one token, ``VIEWER_TOKEN``, as a viewer of subject ``VIEWER_SUB`` (the real
    authorizer's checks of a Cognito token are the API stack's, tested in tests/stacks); anything else
    is the authorizer's 401, before the issuer runs.
    """
    path = raw_path.partition("?")[0]
    title_id = unquote(path.removeprefix("/playback/"))
    if method != "GET" or not path.startswith("/playback/") or "/" in title_id:
        return 404, {"Content-Type": "application/json"}, b'{"message":"Not Found"}'
    if headers.get("authorization") != f"Bearer {VIEWER_TOKEN}":
        return 401, {"Content-Type": "application/json"}, b'{"message":"Unauthorized"}'
    response = signed_url.handler.handler(playback_event(title_id, VIEWER_SUB), None)
    response_headers: Headers = {**response.get("headers", {}), "Set-Cookie": response.get("cookies", [])}
    return int(response["statusCode"]), response_headers, str(response["body"]).encode()


def _function_environment(functions: list[dict[str, Any]], logical_prefix: str) -> dict[str, str]:
    (function,) = (f for f in functions if f"-{logical_prefix}" in f["FunctionName"])
    variables: dict[str, str] = function["Environment"]["Variables"]
    return variables


def _trusted_public_keys(distribution_id: str) -> dict[str, rsa.RSAPublicKey]:
    """The public keys of the key groups the deployed distribution's /vod/ behaviors trust, read from moto."""
    cloudfront = client("cloudfront")
    config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    groups = {
        group_id
        for behavior in config["CacheBehaviors"]["Items"]
        if behavior["PathPattern"].startswith("/vod/")
        for group_id in behavior["TrustedKeyGroups"]["Items"]
    }
    keys: dict[str, rsa.RSAPublicKey] = {}
    for group_id in groups:
        for key_id in cloudfront.get_key_group(Id=group_id)["KeyGroup"]["KeyGroupConfig"]["Items"]:
            encoded = cloudfront.get_public_key(Id=key_id)["PublicKey"]["PublicKeyConfig"]["EncodedKey"]
            key = serialization.load_pem_public_key(encoded.encode("ascii"))
            assert isinstance(key, rsa.RSAPublicKey)
            keys[key_id] = key
    return keys


def _catalog(path: Path) -> Path:
    """The origin's catalog (assets/origin/site/catalog.json) listing the uploaded title A in place of its demo."""
    catalog = json.loads((SITE / "catalog.json").read_text())
    catalog["titles"] = [{**catalog["titles"][0], "titleId": TITLE_A, "name": "Sample A", "durationSec": TITLE_SECONDS}]
    path.write_text(json.dumps(catalog))
    return path


def upload_title(s3: Any, bucket: str, source: Path, title_id: str) -> None:
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        content_type = CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "binary/octet-stream"
        key = f"vod/{title_id}/{path.relative_to(source).as_posix()}"
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type)


@dataclass
class DeployedPlayback:
    """The dev stage in moto with its signing key installed, the issuer's and rewriter's environments applied."""

    records: list[StackRecord]
    outputs: dict[str, dict[str, str]]
    issuer_env: dict[str, str]
    rewriter_env: dict[str, str]
    s3: Any
    bucket: str  # the content bucket

    def edge(self, dev_stage: list[StackArtifact], certificate: tuple[Path, Path], **options: Any) -> LocalEdge:
        """The local edge as the deployed distribution: its key group's keys, its manifest behavior's forwarding."""
        edge_stack = next(s for s in dev_stage if s.display_name == "dev/Edge")
        return LocalEdge(
            domain=self.issuer_env["DISTRIBUTION_DOMAIN"],
            public_keys=_trusted_public_keys(self.outputs["dev/Edge"]["DistributionId"]),
            rewriter=manifest_rewriter.handler.handler,
            manifest_forwarding=Forwarding.from_template(edge_stack.template, "/vod/*.m3u8"),
            s3=self.s3,
            bucket=self.bucket,
            certificate=certificate,
            **options,
        )


def deploy_playback(
    dev_stage: list[StackArtifact], signing_key_pair: SigningKeyPair, monkeypatch: pytest.MonkeyPatch
) -> DeployedPlayback:
    """Deploy the dev stage into moto (inside ``mock_aws``), install the signing key, configure the two handlers."""
    records = Deployer(dev_stage, client).deploy()
    outputs = {r.display_name: r.outputs for r in records}
    functions = client("lambda").list_functions()["Functions"]
    issuer_env = _function_environment(functions, "Playback-IssuerFunction")
    rewriter_env = _function_environment(functions, "Edge-RewriterFunction")
    key_pair_id = issuer_env["KEY_PAIR_ID"]
    assert key_pair_id == outputs["dev/Edge"]["ActiveSigningKeyId"]

    # Seed the private key as tools/operator/signing_key.py does: a pending version, then activate.
    secrets = client("secretsmanager")
    secret_arn = outputs["dev/Playback"]["SigningKeySecretArn"]
    secrets.put_secret_value(
        SecretId=secret_arn,
        ClientRequestToken=str(uuid.uuid4()),
        SecretString=signing_key_pair.private_pem,
        VersionStages=[PENDING],
    )
    activate(secrets, secret_arn, key_pair_id, signing_key_pair.public_key_path)

    bucket = issuer_env["CONTENT_BUCKET"]
    assert bucket == rewriter_env["CONTENT_BUCKET"]
    for name, value in {**issuer_env, **rewriter_env}.items():
        monkeypatch.setenv(name, value)
    signed_url.handler.reset()
    manifest_rewriter.handler.reset()
    return DeployedPlayback(records, outputs, issuer_env, rewriter_env, client("s3"), bucket)


@pytest.fixture(scope="module")
def playback(
    dev_stage: list[StackArtifact],
    signing_key_pair: SigningKeyPair,
    sample_title: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Playback]:
    with mock_aws(), pytest.MonkeyPatch.context() as monkeypatch:
        deployed = deploy_playback(dev_stage, signing_key_pair, monkeypatch)
        for title_id in (TITLE_A, TITLE_B):
            upload_title(deployed.s3, deployed.bucket, sample_title, title_id)
        edge = deployed.edge(
            dev_stage,
            self_signed_certificate(tmp_path_factory.mktemp("edge-tls")),
            site={
                **{f"/{p.name}": p for p in SITE.iterdir() if p.is_file()},
                "/api/catalog": _catalog(tmp_path_factory.mktemp("catalog") / "catalog.json"),
                HLS_JS_CDN_PATH: HLS_JS,
            },
            site_headers=origin_site_headers(),
            api=playback_api,
        )
        try:
            with edge:
                yield Playback(edge=edge, s3=deployed.s3, bucket=deployed.bucket)
        finally:
            signed_url.handler.reset()
            manifest_rewriter.handler.reset()
