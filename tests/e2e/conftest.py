"""End-to-end playback, offline: the dev stage deployed into moto, a real title, a local edge, a real player.

Set-up, in the order an operator would do it (docs/operations.md, "The CloudFront signing key"):

1. generate an RSA-2048 key pair (at test time; never committed) and synthesize the dev stage
   with its public half as ``edge.signing_public_keys``;
2. deploy the stage into moto with the rehearsal deployer; the key group now holds that key;
3. seed the private half into the Playback stack's secret as ``tools/operator/signing_key.py``
   does (a pending version, then ``activate`` with the key's CloudFront ID);
4. make the sample title with ``assets/sample/make-title.sh``, upload it under ``vod/<titleId>/`` and
   list it in the deployed catalog table (published, free, everywhere);
5. start the local edge (``local_edge.py``) as the deployed distribution's domain, trusting the
   deployed key group's public keys, forwarding what the deployed manifest behavior forwards; the
   HTTP API's routes behind a JWT authorizer stand-in that verifies the deployed user pool's tokens
   (moto's), and the origin's site as the user data installs it.
"""

from __future__ import annotations

import base64
import gzip
import json
import mimetypes
import re
import secrets
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import catalog_api.handler
import event_ingest.handler
import key_service.handler
import manifest_rewriter.handler
import moto.cognitoidp
import pytest
import rows_api.handler
import signed_url.handler
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from moto import mock_aws

from stacks.origin_user_data import render_user_data
from tests.e2e.cognito import CognitoStandIn
from tests.e2e.local_edge import Forwarding, Headers, LocalEdge, Response, self_signed_certificate
from tests.support import catalog
from tests.support.aws import client
from tests.support.events import playback_event
from tests.support.synth import ROOT, cdk_context
from tests.support.user_data import NGINX_SITE, SITE_DIR, run_user_data
from tools.developer import moto_models
from tools.developer.assembly import StackArtifact, load_stacks
from tools.developer.rehearsal.deployer import Deployer, StackRecord
from tools.operator.signing_key import PENDING, activate

moto_models.install()

MAKE_TITLE = ROOT / "assets" / "sample" / "make-title.sh"
SITE = ROOT / "assets" / "origin" / "site"

# hls.js from npm (package.json); the watch page loads it from jsDelivr's npm CDN at this path.
HLS_JS = ROOT / "node_modules" / "hls.js" / "dist" / "hls.light.min.js"
HLS_JS_VERSION = json.loads((ROOT / "package.json").read_text())["dependencies"]["hls.js"]
HLS_JS_CDN_PATH = f"/npm/hls.js@{HLS_JS_VERSION}/dist/{HLS_JS.name}"
TITLE_SECONDS = 4
INGEST_LIMIT_GIB = 2 / 1024
# Two copies of the same title: A is played, B is what A's token must not open.
TITLE_A, TITLE_B = "sample-a", "sample-b"
# The sample title made as the pipeline makes an aes-128 title (make-title.sh --aes-128): HLS only, encrypted.
PROTECTED_TITLE, PROTECTED_KEY_ID = "sample-protected", "5a" * 16
# amazon-cognito-identity-js from npm (package.json); the site's pages load it from jsDelivr at this path.
COGNITO_JS = ROOT / "node_modules" / "amazon-cognito-identity-js" / "dist" / "amazon-cognito-identity.min.js"
COGNITO_JS_VERSION = json.loads((ROOT / "package.json").read_text())["dependencies"]["amazon-cognito-identity-js"]
COGNITO_JS_CDN_PATH = f"/npm/amazon-cognito-identity-js@{COGNITO_JS_VERSION}/dist/{COGNITO_JS.name}"
CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".m4s": "video/iso.segment",
    ".ts": "video/mp2t",
    ".mp4": "video/mp4",
}


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
            # A catalog change reaches the functions within a second (10 s by default): the browser test waits it out.
            "catalog": {"cache_seconds": 1},
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


@dataclass(frozen=True)
class ProtectedSample:
    path: Path
    key: bytes = field(repr=False)


@pytest.fixture(scope="session")
def protected_sample(tmp_path_factory: pytest.TempPathFactory) -> ProtectedSample:
    """The sample title encrypted with a fresh key (``make-title.sh --aes-128``); the key file is removed after."""
    folder = tmp_path_factory.mktemp("protected-title")
    key = secrets.token_bytes(16)
    key_file = folder / "content.key"
    key_file.write_bytes(key)
    out = folder / "sample"
    subprocess.run(
        [str(MAKE_TITLE), str(out), str(TITLE_SECONDS), "--aes-128", str(key_file), PROTECTED_KEY_ID],
        check=True,
        capture_output=True,
        timeout=120,
    )
    key_file.unlink()
    return ProtectedSample(out, key)


@dataclass
class Playback:
    """The deployed dev stage in moto, with the title uploaded and the local edge in front."""

    edge: LocalEdge
    s3: Any
    bucket: str
    table: str  # the catalog
    cognito: CognitoStandIn
    pool_id: str
    sample: Path
    protected: ProtectedSample

    def issue(self, title_id: str, sub: str = "viewer-1") -> dict[str, Any]:
        """``GET /playback/{titleId}`` through the real issuer handler (HTTP API payload v2.0, JWT subject)."""
        response = signed_url.handler.handler(playback_event(title_id, sub), None)
        assert response["statusCode"] == 200, response
        body: dict[str, Any] = json.loads(response["body"])
        return body


class JwtAuthorizer:
    """A stand-in for the HTTP API's JWT authorizer, configured as the deployed one (issuer, audience).

    It verifies what API Gateway verifies of a Cognito token (RS256 signature with the pool's key, here
    moto's; ``iss``; ``client_id`` of an access token or ``aud`` of an ID token; ``exp``) and hands the
    claims to the function as API Gateway does, every value a string and an array as ``[a b]``.
    """

    def __init__(self, issuer: str, audience: list[str]) -> None:
        self.issuer = issuer
        self.audience = audience
        jwks = json.loads(
            gzip.decompress((Path(moto.cognitoidp.__file__).parent / "resources/jwks-public.json.gz").read_bytes())
        )
        self.keys = {
            key["kid"]: rsa.RSAPublicNumbers(_b64int(key["e"]), _b64int(key["n"])).public_key() for key in jwks["keys"]
        }

    def claims(self, authorization: str | None) -> dict[str, str] | None:
        token = (authorization or "").removeprefix("Bearer ")
        try:
            header_b64, payload_b64, signature_b64 = token.split(".")
            header, payload = json.loads(_b64(header_b64)), json.loads(_b64(payload_b64))
            key = self.keys[header["kid"]]
            assert header["alg"] == "RS256"
            key.verify(_b64(signature_b64), f"{header_b64}.{payload_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, KeyError, AssertionError, InvalidSignature):
            return None
        audience = payload.get("client_id") if payload.get("token_use") == "access" else payload.get("aud")
        if payload.get("iss") != self.issuer or audience not in self.audience or payload.get("exp", 0) <= time.time():
            return None
        return {
            name: f"[{' '.join(value)}]" if isinstance(value, list) else str(value) for name, value in payload.items()
        }


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64int(text: str) -> int:
    return int.from_bytes(_b64(text), "big")


def http_api(authorizer: JwtAuthorizer) -> Callable[[str, str, Mapping[str, str], bytes], Response]:
    """The local edge's API behaviors: the HTTP API's routes behind the authorizer stand-in, each to its real
    handler with a payload v2.0 event (headers as CloudFront forwarded them, claims as above, the body)."""

    def serve(method: str, raw_path: str, headers: Mapping[str, str], body: bytes = b"") -> Response:
        path, _, query = raw_path.partition("?")
        if method == "OPTIONS":  # same origin: the site never needs a preflight
            return 404, {"Content-Type": "application/json"}, b'{"message":"Not Found"}'
        claims = authorizer.claims(headers.get("authorization"))
        if claims is None:
            return 401, {"Content-Type": "application/json"}, b'{"message":"Unauthorized"}'
        event: dict[str, Any] = {
            "version": "2.0",
            "rawPath": path,
            "rawQueryString": query,
            "headers": dict(headers),
            "requestContext": {
                "http": {"method": method, "path": path},
                "authorizer": {"jwt": {"claims": claims, "scopes": None}},
            },
        }
        if query:
            event["queryStringParameters"] = dict(part.partition("=")[::2] for part in query.split("&"))
            event["queryStringParameters"] = {k: unquote(v) for k, v in event["queryStringParameters"].items()}
        handler: Callable[[dict[str, Any], Any], dict[str, Any]]
        if path == "/catalog" and method == "GET":
            event["routeKey"], handler = "GET /catalog", catalog_api.handler.handler
        elif re.fullmatch(r"/catalog/[^/]+", path) and method == "GET":
            event["routeKey"], handler = "GET /catalog/{titleId}", catalog_api.handler.handler
            event["pathParameters"] = {"titleId": unquote(path.removeprefix("/catalog/"))}
        elif re.fullmatch(r"/playback/[^/]+", path) and method == "GET":
            event["routeKey"], handler = "GET /playback/{titleId}", signed_url.handler.handler
            event["pathParameters"] = {"titleId": unquote(path.removeprefix("/playback/"))}
        elif path in ("/trending", "/me/recommendations") and method == "GET":
            event["routeKey"], handler = f"GET {path}", rows_api.handler.handler
        elif path == "/events" and method == "POST":
            event["routeKey"], handler = "POST /events", event_ingest.handler.handler
            event["body"], event["isBase64Encoded"] = body.decode("utf-8", "surrogateescape"), False
        else:
            return 404, {"Content-Type": "application/json"}, b'{"message":"Not Found"}'
        response = handler(event, None)
        response_headers: Headers = {**response.get("headers", {}), "Set-Cookie": response.get("cookies", [])}
        return int(response["statusCode"]), response_headers, str(response["body"]).encode()

    return serve


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


@dataclass(frozen=True)
class InstalledSite:
    """The origin's site as its user data installs it: the files (with config.json) and nginx's headers."""

    files: dict[str, Path]  # URL path -> file
    headers: dict[str, str]


def installed_site(directory: Path, region: str, pool_id: str, client_id: str) -> InstalledSite:
    """Run the origin's user data (system commands stubbed) with the deployed pool's IDs, as an instance would."""
    user_data = render_user_data(
        stack_name="dev-Origin", resource="FleetGroup", region=region, viewer_pool=pool_id, viewer_client=client_id
    )
    run = run_user_data(directory, user_data)
    assert run.returncode == 0, run.output
    site = run.root / SITE_DIR
    found = re.findall(r'^\s*add_header\s+(\S+)\s+"([^"]*)"\s+always;', (run.root / NGINX_SITE).read_text(), re.M)
    return InstalledSite({f"/{p.name}": p for p in site.iterdir() if p.is_file()}, dict(found))


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
    keys_env: dict[str, str]
    s3: Any
    bucket: str  # the content bucket

    def edge(self, dev_stage: list[StackArtifact], certificate: tuple[Path, Path], **options: Any) -> LocalEdge:
        """The local edge as the deployed distribution: its key group's keys, its manifest behavior's forwarding."""
        edge_stack = next(s for s in dev_stage if s.display_name == "dev/Edge")
        return LocalEdge(
            domain=self.issuer_env["DISTRIBUTION_DOMAIN"],
            public_keys=_trusted_public_keys(self.outputs["dev/Edge"]["DistributionId"]),
            rewriter=manifest_rewriter.handler.handler,
            key_service=key_service.handler.handler,
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
    keys_env = _function_environment(functions, "Edge-KeyServiceFunction")
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

    bucket = rewriter_env["CONTENT_BUCKET"]
    catalog_env = _function_environment(functions, "Playback-CatalogFunction")
    assert catalog_env["CATALOG_TABLE"] == issuer_env["CATALOG_TABLE"] == outputs["dev/Storage"]["CatalogTableName"]
    # The pages also call POST /events (the watch page's reporter) and the rows (the catalog page).
    ingest_env = _function_environment(functions, "Analytics-IngestionFunction")
    rows_env = _function_environment(functions, "Analytics-RowsApiFunction")
    assert rows_env["CATALOG_TABLE"] == catalog_env["CATALOG_TABLE"]
    assert keys_env["CATALOG_TABLE"] == issuer_env["CATALOG_TABLE"]
    assert keys_env["CONTENT_KEYS_TABLE"] == outputs["dev/Storage"]["ContentKeysTableName"]
    for name, value in {**issuer_env, **rewriter_env, **catalog_env, **ingest_env, **rows_env, **keys_env}.items():
        monkeypatch.setenv(name, value)
    reset_handlers()
    return DeployedPlayback(records, outputs, issuer_env, rewriter_env, keys_env, client("s3"), bucket)


def reset_handlers() -> None:
    """Every handler the local edge calls, as a fresh container: no cached clients, keys or items."""
    for module in (
        signed_url.handler,
        manifest_rewriter.handler,
        catalog_api.handler,
        rows_api.handler,
        key_service.handler,
    ):
        module.reset()
    event_ingest.handler._kinesis.cache_clear()


def list_title(table: str, title_id: str, **fields: Any) -> None:
    """Put ``title_id`` in the deployed catalog table: published, free and everywhere unless ``fields`` say."""
    fields = {"name": title_id.replace("-", " ").capitalize(), "duration": TITLE_SECONDS, **fields}
    client("dynamodb").put_item(TableName=table, Item=catalog.item(title_id, **fields))


@pytest.fixture(scope="module")
def playback(
    dev_stage: list[StackArtifact],
    signing_key_pair: SigningKeyPair,
    sample_title: Path,
    protected_sample: ProtectedSample,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Playback]:
    with mock_aws(), pytest.MonkeyPatch.context() as monkeypatch:
        deployed = deploy_playback(dev_stage, signing_key_pair, monkeypatch)
        table = deployed.issuer_env["CATALOG_TABLE"]
        for title_id in (TITLE_A, TITLE_B):
            upload_title(deployed.s3, deployed.bucket, sample_title, title_id)
            list_title(table, title_id, name=f"Sample {title_id[-1].upper()}")
        upload_title(deployed.s3, deployed.bucket, protected_sample.path, PROTECTED_TITLE)
        list_title(table, PROTECTED_TITLE, name="Sample Locked", formats=("hls",), protection={"S": "aes-128"})
        client("dynamodb").put_item(
            TableName=deployed.keys_env["CONTENT_KEYS_TABLE"],
            Item={
                "titleId": {"S": PROTECTED_TITLE},
                "keyId": {"S": PROTECTED_KEY_ID},
                "key": {"B": protected_sample.key},
            },
        )
        api = deployed.outputs["dev/Api"]
        site = installed_site(
            tmp_path_factory.mktemp("origin"), "us-east-1", api["ViewerPoolId"], api["ViewerClientId"]
        )
        cognito = CognitoStandIn("us-east-1")
        edge = deployed.edge(
            dev_stage,
            self_signed_certificate(tmp_path_factory.mktemp("edge-tls")),
            site={**site.files, HLS_JS_CDN_PATH: HLS_JS, COGNITO_JS_CDN_PATH: COGNITO_JS},
            site_headers=site.headers,
            api=http_api(JwtAuthorizer(api["JwtIssuer"], [api["ViewerClientId"]])),
            hosts={cognito.host: cognito.serve},
        )
        try:
            with edge:
                yield Playback(
                    edge=edge,
                    s3=deployed.s3,
                    bucket=deployed.bucket,
                    table=table,
                    cognito=cognito,
                    pool_id=api["ViewerPoolId"],
                    sample=sample_title,
                    protected=protected_sample,
                )
        finally:
            reset_handlers()
