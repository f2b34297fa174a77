"""Playback hot-path benchmarks, each measured side by side with its baseline in one run.

Run with ``make bench``. Every group interleaves its contenders round by round
(so a noisy neighbour slows all of them alike), reports medians, and states the
ratio against the issue's target. The exit status is 1 when a target is missed.

* issuer: warm handler (entitlement on a cached catalog item, then the signature) vs a bare RSA-2048
  signature of the same policy, and botocore's CloudFrontSigner;
* rewriter: 2-hour and 10-hour HLS media playlists and a master playlist vs the m3u8 library, and a
  DASH SegmentList MPD vs lxml, each also vs a bare ``replace`` floor;
* rewriter end to end: the warm handler (event in, response out, moto S3 behind it) vs the m3u8
  library's load + dump of the same 2-hour playlist;
* rewriter S3 requests: a simulated minute of 1,000 manifest requests a second across warm containers,
  GetObject calls counted with the freshness window and without it;
* rewriter worst cases: hostile manifests of up to the 2 MiB size limit, each built to pass the 48 MB
  rewrite bound and to make the most work of one rule (alternative bases, inherited templates, base
  resolutions, markup, character references, long HLS lines), through the service, against the
  function's 10 s timeout;
* cold import of each handler module vs ``import boto3``, in fresh interpreters.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lambda")]
# Fake credentials for moto: nothing leaves the process.
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")  # noqa: S106

import m3u8  # noqa: E402
from botocore.signers import CloudFrontSigner  # noqa: E402
from cloudfront_token.policy import custom_policy, title_resource  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from lxml import etree  # noqa: E402
from manifest_rewriter.dash import rewrite_mpd  # noqa: E402
from manifest_rewriter.hls import rewrite_hls  # noqa: E402
from manifest_rewriter.scope import UriScope  # noqa: E402

from benchmarks.timing import Result, Target, print_result, print_targets, side_by_side  # noqa: E402
from tools.developer import samples  # noqa: E402

MPD_NS = "{urn:mpeg:dash:schema:mpd:2011}"


def cold_imports(statements: dict[str, str], runs: int) -> Result:
    """Median import time in a fresh interpreter (byte code already compiled, as in a warm deployment)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "lambda"), str(ROOT)])}
    program = "import time; t = time.perf_counter(); {}; print(time.perf_counter() - t)"
    samples_: dict[str, list[float]] = {key: [] for key in statements}
    for statement in statements.values():  # compile .pyc files first
        subprocess.run([sys.executable, "-c", statement], env=env, check=True)  # noqa: S603 - fixed argv
    for _ in range(runs):
        for key, statement in statements.items():
            output = subprocess.run(  # noqa: S603 - fixed argv
                [sys.executable, "-c", program.format(statement)], env=env, check=True, capture_output=True, text=True
            ).stdout
            samples_[key].append(float(output))
    return Result("cold import", {key: statistics.median(values) for key, values in samples_.items()})


# --- issuer ---------------------------------------------------------------------------------------------


def issuer() -> tuple[Result, list[Target]]:
    import boto3
    from moto import mock_aws

    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(
            TableName="bench-catalog",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "titleId", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "titleId", "KeyType": "HASH"}],
        )
        # A title with every entitlement field set, so the warm path decides on all of them.
        dynamodb.put_item(
            TableName="bench-catalog",
            Item={
                "titleId": {"S": samples.TITLE},
                "status": {"S": "published"},
                "name": {"S": "Benchmark"},
                "formats": {"L": [{"S": "hls"}, {"S": "dash"}]},
                "durationSeconds": {"N": "5400"},
                "availableFrom": {"S": "2020-01-01T00:00:00Z"},
                "availableUntil": {"S": "2099-01-01T00:00:00Z"},
                "countries": {"L": [{"S": "US"}, {"S": "CA"}, {"S": "GB"}]},
                "tier": {"S": "standard"},
            },
        )
        secret = boto3.client("secretsmanager").create_secret(Name="bench-key", SecretString=samples.private_pem())
        os.environ.update(
            DISTRIBUTION_DOMAIN=samples.DOMAIN,
            KEY_PAIR_ID=samples.KEY_PAIR_ID,
            SIGNING_KEY_SECRET_ARN=secret["ARN"],
            CATALOG_TABLE="bench-catalog",
            URL_TTL_SECONDS="21600",
            TOKEN_MIN_SECONDS="900",  # noqa: S106 - seconds, not a password
            TOKEN_MARGIN_SECONDS="1800",  # noqa: S106 - seconds, not a password
            CATALOG_CACHE_SECONDS="60",
        )
        from signed_url.handler import handler

        event = {
            "headers": {"cloudfront-viewer-country": "US"},
            "pathParameters": {"titleId": samples.TITLE},
            "requestContext": {
                "authorizer": {"jwt": {"claims": {"sub": "user-1", "cognito:groups": "[viewers plan-premium]"}}}
            },
        }
        assert handler(event, None)["statusCode"] == 200  # cold: reads the key and the title's catalog item

        key = samples.private_key()
        policy = custom_policy(title_resource(samples.DOMAIN, samples.TITLE), int(time.time()) + 21600)
        policy_bytes = policy.encode()
        url = f"https://{samples.DOMAIN}/vod/{samples.TITLE}/master.m3u8"
        botocore_signer = CloudFrontSigner(
            samples.KEY_PAIR_ID,
            lambda message: key.sign(message, padding.PKCS1v15(), hashes.SHA1()),  # noqa: S303
        )
        result = side_by_side(
            "issuer (one play)",
            {
                "bare RSA-2048 sign": lambda: key.sign(policy_bytes, padding.PKCS1v15(), hashes.SHA1()),  # noqa: S303
                "botocore CloudFrontSigner": lambda: botocore_signer.generate_presigned_url(url, policy=policy),
                "warm handler": lambda: handler(event, None),
            },
            rounds=401,
        )
    medians = result.medians
    return result, [
        Target(
            "issuer warm handler / bare RSA sign",
            medians["warm handler"] / medians["bare RSA-2048 sign"],
            1.15,
            at_most=True,
        )
    ]


# --- rewriter -------------------------------------------------------------------------------------------


def _m3u8_rewrite(text: str, query: str) -> str:
    playlist = m3u8.loads(text)
    for segment in playlist.segments:
        segment.uri = f"{segment.uri}?{query}"
        if segment.init_section is not None and "?" not in segment.init_section.uri:
            segment.init_section.uri = f"{segment.init_section.uri}?{query}"
    for variant in playlist.playlists:
        variant.uri = f"{variant.uri}?{query}"
    for media in playlist.media:
        if media.uri:
            media.uri = f"{media.uri}?{query}"
    for iframe in playlist.iframe_playlists:
        iframe.uri = f"{iframe.uri}?{query}"
    result: str = playlist.dumps()
    return result


def _lxml_rewrite(data: bytes, query: str) -> bytes:
    root = etree.fromstring(data)  # the baseline; our own generated document
    for element in root.iter(f"{MPD_NS}SegmentURL", f"{MPD_NS}Initialization"):
        attribute = "media" if element.tag.endswith("SegmentURL") else "sourceURL"
        element.set(attribute, f"{element.get(attribute)}?{query}")
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return result


def rewriter() -> tuple[list[Result], list[Target]]:
    viewer = samples.token()
    scope = UriScope(viewer, viewer.scope())
    query = viewer.query
    suffix = "?" + query
    xml_suffix = b"?" + query.replace("&", "&amp;").encode()
    path = f"/vod/{samples.TITLE}/1080p/index.m3u8"
    results, targets = [], []

    hls_cases = (("2-hour HLS (1,800 segments)", 1800, 61), ("10-hour HLS (9,000 segments)", 9000, 21))
    for label, segments, rounds in hls_cases:
        text = samples.media_playlist(segments)
        ours = rewrite_hls(text, scope, path)
        assert ours.count(query) == segments + 1
        assert _m3u8_rewrite(text, query).count(query) >= segments
        result = side_by_side(
            label,
            {
                "m3u8 load+dump": partial(_m3u8_rewrite, text, query),
                "ours": partial(rewrite_hls, text, scope, path),
                "str.replace floor": partial(text.replace, ".m4s\n", ".m4s" + suffix + "\n"),
            },
            rounds,
        )
        results.append(result)
        if segments == 1800:
            medians = result.medians
            targets.append(
                Target("HLS 2 h: m3u8 / ours", medians["m3u8 load+dump"] / medians["ours"], 15, at_most=False)
            )
            targets.append(
                Target("HLS 2 h: ours / str.replace", medians["ours"] / medians["str.replace floor"], 12, at_most=True)
            )

    master = samples.master_playlist()
    master_path = f"/vod/{samples.TITLE}/master.m3u8"
    assert rewrite_hls(master, scope, master_path).count(query) == 11
    results.append(
        side_by_side(
            "master playlist (4 variants, 3 renditions)",
            {
                "m3u8 load+dump": lambda: _m3u8_rewrite(master, query),
                "ours": lambda: rewrite_hls(master, scope, master_path),
                "str.replace floor": lambda: master.replace(".m3u8\n", ".m3u8" + suffix + "\n"),
            },
            rounds=301,
        )
    )

    mpd_path = f"/vod/{samples.TITLE}/manifest.mpd"
    for label, data in (
        ("DASH SegmentList (1,800 URLs)", samples.segment_list_mpd(1800)),
        (
            "DASH SegmentList (1,800 URLs) under a BaseURL",
            samples.segment_list_mpd(1800, base_url=f"https://{samples.DOMAIN}/vod/{samples.TITLE}/"),
        ),
    ):
        assert rewrite_mpd(data, scope, mpd_path).count(xml_suffix) == 1801 + (b"BaseURL" in data)
        result = side_by_side(
            label,
            {
                "lxml rewrite": partial(_lxml_rewrite, data, query),
                "ours": partial(rewrite_mpd, data, scope, mpd_path),
                "bytes.replace floor": partial(data.replace, b'.m4s"', b".m4s" + xml_suffix + b'"'),
            },
            rounds=61,
        )
        results.append(result)
        if b"BaseURL" not in data:
            targets.append(
                Target("DASH: lxml / ours", result.medians["lxml rewrite"] / result.medians["ours"], 3, at_most=False)
            )
    return results, targets


def rewriter_end_to_end() -> tuple[Result, list[Target]]:
    """The whole warm request, as CloudFront's call reaches the function, with the manifest in moto S3."""
    import boto3
    from moto import mock_aws

    viewer = samples.token()
    text = samples.media_playlist(1800)
    path = f"/vod/{samples.TITLE}/1080p/index.m3u8"
    event = {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": viewer.query,
        "headers": {"host": "rewriter.lambda-url.us-east-1.on.aws"},
        "requestContext": {"http": {"method": "GET", "path": path}},
    }
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="bench-content")
        boto3.client("s3").put_object(Bucket="bench-content", Key=path[1:], Body=text.encode())
        os.environ.update(CONTENT_BUCKET="bench-content", MANIFEST_FRESH_SECONDS="5")
        from manifest_rewriter import handler as rewriter
        from manifest_rewriter.service import ManifestService
        from manifest_rewriter.store import S3Manifests

        rewriter.reset()
        response = rewriter.handler(event, None)
        assert response["statusCode"] == 200
        assert response["body"].count(viewer.query) == 1801
        # The same service, asking S3 (If-None-Match) on every request, as before the freshness window.
        revalidating = ManifestService(S3Manifests(boto3.client("s3"), "bench-content"))
        result = side_by_side(
            "rewriter end to end, 2-hour HLS (event in, response out; moto S3 behind it)",
            {
                "m3u8 load+dump": partial(_m3u8_rewrite, text, viewer.query),
                "warm handler": partial(rewriter.handler, event, None),
                "asking S3 every request (moto)": partial(revalidating.handle, event),
            },
            rounds=61,
        )
    medians = result.medians
    return result, [
        Target(
            "rewriter end to end: m3u8 / warm handler", medians["m3u8 load+dump"] / medians["warm handler"], 15, False
        )
    ]


# The function's timeout (stacks/constructs/manifest_rewriter.py) and the share of it a manifest may take.
REWRITER_TIMEOUT_SECONDS = 10.0


def _hostile_manifests() -> dict[str, tuple[str, bytes]]:
    """Name -> (kind, bytes): near the 2 MiB limit, few enough tags that the service rewrites rather than 413s."""
    from manifest_rewriter.dash import MAX_ALTERNATIVE_BASES, MAX_BASE_WORK
    from manifest_rewriter.service import MAX_MANIFEST_BYTES

    def fill(head: str, unit: Any, tail: str) -> bytes:
        parts, size, index = [head], len(head) + len(tail), 0
        while size + len(piece := unit(index)) <= MAX_MANIFEST_BYTES:
            parts.append(piece)
            size += len(piece)
            index += 1
        return "".join([*parts, tail]).encode()

    mpd = '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"><Period>'
    four = "".join(f"<BaseURL>b{index}/</BaseURL>" for index in range(4))  # 4 x 4 x 4 = 64 combinations
    assert MAX_ALTERNATIVE_BASES == 4**3
    long = "d" * 24
    per_period = "".join(f"<BaseURL>p{index}/</BaseURL>" for index in range(MAX_ALTERNATIVE_BASES))
    # BaseURLs naming one directory: work, not alternatives (each resolution is charged when made and when deduplicated)
    same_dir = MAX_BASE_WORK // MAX_ALTERNATIVE_BASES // 2 - 10
    return {
        "DASH: 64 alternative bases, climbing segments": (
            "mpd",
            fill(
                mpd.replace("<Period>", four + "<Period>" + four) + f"<AdaptationSet>{four}<Representation id='r'>"
                "<SegmentList>",
                lambda i: f'<SegmentURL media="../{long}/{long}/../s{i}.m4s"/>',
                "</SegmentList></Representation></AdaptationSet></Period></MPD>",
            ),
        ),
        "DASH: templates inherited by 8 Representations each": (
            "mpd",
            fill(
                mpd,
                lambda i: (
                    f"<AdaptationSet><SegmentTemplate media='../$RepresentationID$/{long}-$Number$.m4s'/>"
                    + "".join(
                        f"<Representation id='r{i}x{j}{long}'><BaseURL>{long * 3}{j}/</BaseURL></Representation>"
                        for j in range(8)
                    )
                    + "</AdaptationSet>"
                ),
                "</Period></MPD>",
            ),
        ),
        "DASH: base resolutions near the budget": (
            "mpd",
            fill(
                mpd
                + per_period
                + "<AdaptationSet>"
                + "".join(f"<BaseURL>a/x{index}/../</BaseURL>" for index in range(same_dir))
                + "<SegmentList>",
                lambda i: f'<SegmentURL media="../{long * 4}/s{i}.m4s"/>',
                "</SegmentList></AdaptationSet></Period></MPD>",
            ),
        ),
        "DASH: a comment and a character reference per segment": (
            "mpd",
            fill(
                mpd + "<AdaptationSet><Representation id='r'><SegmentList>",
                lambda i: (
                    f'<!-- {long * 2} --><SegmentURL media="{long}/&#115;{i}.m4s" index="i{i}.sidx?{long}=1&amp;b=2"/>'
                ),
                "</SegmentList></Representation></AdaptationSet></Period></MPD>",
            ),
        ),
        "HLS: climbing URI lines": (
            "m3u8",
            fill("#EXTM3U\n", lambda i: f"../{long}/{long}/../{long}/x{i}.ts\n" + "#" * 40 + "\n", ""),
        ),
        "HLS: one line of 100,000 attributes": (
            "m3u8",
            fill('#EXTM3U\n#EXT-X-MAP:URI="init.mp4"', lambda i: f",X-A{i}=1", "\n"),
        ),
    }


def rewriter_hostile() -> tuple[Result, list[Target]]:
    """The worst hostile manifests through the warm service (fetch from memory): refused or rewritten, never slow."""
    from manifest_rewriter.service import ManifestService

    viewer = samples.token()
    manifests = _hostile_manifests()
    store = {f"vod/{samples.TITLE}/x/{index}.{kind}": data for index, (kind, data) in enumerate(manifests.values())}
    service = ManifestService(store.__getitem__)
    contenders: dict[str, Callable[[], Any]] = {}
    for index, (name, (kind, _)) in enumerate(manifests.items()):
        event = {
            "rawPath": f"/vod/{samples.TITLE}/x/{index}.{kind}",
            "rawQueryString": viewer.query,
            "headers": {"accept-encoding": "gzip"},
            "requestContext": {"http": {"method": "GET"}},
        }
        status = service.handle(event)["statusCode"]
        assert status in (200, 502), f"{name}: {status} (a hostile case must reach the rewriter)"
        contenders[f"{name} ({status})"] = partial(service.handle, event)
    result = side_by_side("rewriter worst cases: hostile 2 MiB manifests through the service", contenders, rounds=3)
    worst = max(result.medians.values())
    share = worst / REWRITER_TIMEOUT_SECONDS
    return result, [Target("worst hostile manifest / 10 s timeout", share, 0.1, at_most=True)]


def s3_requests_at_1000_per_second() -> None:
    """GetObject calls for one simulated minute at 1,000 manifest requests a second, with and without the window.

    Workload: 500 titles, each a master and 4 media playlists (2,500 manifests), chosen by Zipf
    popularity (s = 1); every request goes to one of 10 warm containers at random; the clock is
    simulated, so only the store's decisions are measured. Printed, not a target: the savings
    depend on the workload (docs/api.md).
    """
    import random

    from manifest_rewriter.store import S3Manifests

    class Clock:
        now = 0.0

        def __call__(self) -> float:
            return self.now

    class CountingS3:
        """Answers like S3 for objects that never change: 304 to a matching If-None-Match."""

        calls = 0

        def get_object(self, **kwargs: Any) -> dict[str, Any]:
            from botocore.exceptions import ClientError

            self.calls += 1
            if kwargs.get("IfNoneMatch") == '"v1"':
                raise ClientError({"Error": {"Code": "304"}}, "GetObject")
            return {"Body": io.BytesIO(b"#EXTM3U\n"), "ContentLength": 8, "ETag": '"v1"'}

    keys = [f"vod/t{title}/{name}.m3u8" for title in range(500) for name in ("master", "a", "b", "c", "d")]
    weights = [1 / (index // 5 + 1) for index in range(len(keys))]
    rng = random.Random(42)  # noqa: S311 - a workload, not a secret
    requests = rng.choices(keys, weights, k=60_000)
    print("rewriter S3 GetObject calls, 60 simulated seconds at 1,000 manifest requests/s, 10 containers")
    for fresh in (0, 5, 60):
        clock, s3 = Clock(), CountingS3()
        containers = [S3Manifests(s3, "bench", fresh_seconds=fresh, clock=clock) for _ in range(10)]
        for index, key in enumerate(requests):
            clock.now = index / 1000
            rng.choice(containers)(key)
        per_second = s3.calls / 60
        print(f"  freshness window {fresh} s: {s3.calls:>6} calls ({per_second:,.0f}/s)")
    print()


def imports() -> tuple[Result, list[Target]]:
    result = cold_imports(
        {
            "import boto3": "import boto3",
            "import signed_url.handler": "import signed_url.handler",
            "import manifest_rewriter.handler": "import manifest_rewriter.handler",
        },
        runs=15,
    )
    boto3_median = result.medians["import boto3"]
    return result, [
        Target(f"cold {name} / import boto3", result.medians[name] / boto3_median, 0.5, at_most=True)
        for name in ("import signed_url.handler", "import manifest_rewriter.handler")
    ]


def main() -> int:
    print(f"Playback benchmarks: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; medians, interleaved rounds\n")
    results: list[Result] = []
    targets: list[Target] = []
    for group in (issuer, rewriter, rewriter_end_to_end, rewriter_hostile, imports):
        found, aims = group()
        results.extend(found if isinstance(found, list) else [found])
        targets.extend(aims)
    for result in results:
        print_result(result)
    s3_requests_at_1000_per_second()
    return 0 if print_targets(targets) else 1


if __name__ == "__main__":
    sys.exit(main())
