"""TEST DOUBLE of the Edge stack's CloudFront distribution, for the end-to-end tests only.

A small HTTPS server on 127.0.0.1 with a self-signed certificate that plays
the ``/vod/*`` behaviors of ``stacks/edge_stack.py``:

* every ``/vod/`` request must carry a valid signature, checked by
  ``cloudfront_rules.check`` (CloudFront's documented trusted-key-group rule)
  against the public keys of the key group; otherwise 403;
* ``/vod/*.m3u8`` and ``/vod/*.mpd`` go to the manifest rewriter's handler,
  called in-process with a Lambda Function URL (payload v2.0) event that holds
  what the synthesized manifest behavior forwards (``Forwarding``);
* ``/vod/*/keys/*`` (after the same signature check) goes to the key service's handler (a POST, the
  Clear Key licence, only with the body's SHA-256 in ``x-amz-content-sha256``, as origin access control
  to a Function URL requires),
  in-process, with a Function URL event holding what the synthesized behavior's managed
  AllViewerExceptHostHeader policy forwards: the query string, every cookie and
  ``CloudFront-Viewer-Country``; its response is sent as CloudFront sends a behavior with
  caching disabled (never from a cache);
* any other ``/vod/*`` path is read from the content bucket (moto S3), without
  the token parameters, as origin access control would;
* the HTTP API's behaviors (``/playback/*``, ``/catalog``, ``/catalog/*``,
  ``/events``, ``/trending``, ``/me/*``) go to ``api`` (the tests pass the
  handlers behind a stand-in for the HTTP API's JWT authorizer), with the
  request body and with ``CloudFront-Viewer-Country`` set as CloudFront sets it
  (``viewer_country``; a viewer's own header of that name is dropped); the
  handlers' ``cookies`` are sent as ``Set-Cookie`` headers;
* a request for another host in ``hosts`` (the browser test's Cognito double,
  ``cognito-idp.<region>.amazonaws.com``, which Chromium resolves here) goes to
  that host's handler, POST and CORS preflight included;
* other paths (the default behavior, public) serve the static files it is
  given: the origin's site (``assets/origin/site/``, with the headers the
  origin's nginx adds, Content-Security-Policy among them; ``/api/catalog``
  a catalog file) and, standing in for jsDelivr's npm CDN, hls.js from
  ``node_modules`` (the browser tests).

It stands for the distribution's domain: the viewer's URLs name that domain, and
the tests send them to this server's address instead (as a resolver pointing
the name at it would). Everything else a distribution does (caching, WAF, geo
restriction, other behaviors, HTTP/2) is out of scope. See docs/testing.md.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import re
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.e2e.cloudfront_rules import Refused, Request, check
from tests.support.events import function_url_event

MANIFEST_SUFFIXES = (".m3u8", ".mpd")
KEYS_PATH = re.compile(r"/vod/[^/]+/keys/.*")  # the behavior /vod/*/keys/* (CloudFront's * spans slashes)
API_PREFIXES = ("/playback/", "/catalog/", "/me/")  # and these paths themselves: the HTTP API's behaviors
API_PATHS = ("/catalog", "/events", "/trending")
SITE_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
}


# Response headers; a list is sent as one header line per value (Set-Cookie).
Headers = dict[str, str | list[str]]
Response = tuple[int, Headers, bytes]


@dataclass(frozen=True)
class Forwarding:
    """What a behavior's cache and origin-request policies forward to the origin."""

    query_strings: bool
    cookies: frozenset[str]

    @classmethod
    def from_template(cls, template: Mapping[str, Any], path_pattern: str) -> Forwarding:
        """Read the policies of one behavior of the synthesized distribution (``Edge`` stack)."""
        resources = template["Resources"]
        (distribution,) = (r for r in resources.values() if r["Type"] == "AWS::CloudFront::Distribution")
        behaviors = distribution["Properties"]["DistributionConfig"]["CacheBehaviors"]
        (behavior,) = (b for b in behaviors if b["PathPattern"] == path_pattern)
        configs = [
            resources[behavior["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"][
                "ParametersInCacheKeyAndForwardedToOrigin"
            ]
        ]
        if "OriginRequestPolicyId" in behavior:
            configs.append(
                resources[behavior["OriginRequestPolicyId"]["Ref"]]["Properties"]["OriginRequestPolicyConfig"]
            )
        behaviors = {c["QueryStringsConfig"]["QueryStringBehavior"] for c in configs}
        if not behaviors <= {"all", "none"}:
            raise ValueError(f"the double does not model query string behaviors {sorted(behaviors)}")
        query = "all" in behaviors
        cookies: set[str] = set()
        for config in configs:
            cookie_config = config["CookiesConfig"]
            if cookie_config["CookieBehavior"] not in ("none", "whitelist"):
                raise ValueError(f"the double does not model cookie behavior {cookie_config['CookieBehavior']!r}")
            cookies.update(cookie_config.get("Cookies", []))
        return cls(query_strings=query, cookies=frozenset(cookies))


@dataclass
class EdgeLog:
    """Every signed-request check the edge made: how many, how many refused, and why."""

    checked: int = 0
    refused: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    by_source: Counter[str] = field(default_factory=Counter)  # "query" or "cookie", for served requests
    requests: list[tuple[str, int]] = field(default_factory=list)  # (path, status)
    lock: threading.Lock = field(default_factory=threading.Lock)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and ``localhost``), valid for a day; returns (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "showrunner local edge (tests)")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "edge-cert.pem", directory / "edge-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _cookies(header: str | None) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for part in (header or "").split(";"):
        name, equals, value = part.strip().partition("=")
        if equals and name:
            cookies.setdefault(name, value)
    return cookies


class LocalEdge:
    def __init__(
        self,
        *,
        domain: str,
        public_keys: Mapping[str, rsa.RSAPublicKey],
        rewriter: Callable[[dict[str, Any], Any], dict[str, Any]],
        manifest_forwarding: Forwarding,
        s3: Any,
        bucket: str,
        certificate: tuple[Path, Path],
        site: Mapping[str, Path] | None = None,
        site_headers: Mapping[str, str] | None = None,
        api: Callable[[str, str, Mapping[str, str], bytes], Response] | None = None,
        hosts: Mapping[str, Callable[[str, Mapping[str, str], bytes], Response]] | None = None,
        viewer_country: str = "US",
        key_service: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None,
    ) -> None:
        self.domain = domain
        self.public_keys = dict(public_keys)
        self.rewriter = rewriter
        self.manifest_forwarding = manifest_forwarding
        self.s3 = s3
        self.bucket = bucket
        self.site = dict(site or {})
        self.site_headers = dict(site_headers or {})  # what the origin adds to its site's responses
        self.api = api  # (method, raw path, headers with lower-case names, body) -> response
        self.hosts = dict(hosts or {})  # other host names served here: (method, headers, body) -> response
        self.viewer_country = viewer_country  # what CloudFront's geolocation says of every viewer
        self.key_service = key_service
        self.log = EdgeLog()
        self.frozen_at: float | None = None  # when set, the edge's clock reads this epoch time (tests: expiry)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(certificate[0]), str(certificate[1]))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-edge", daemon=True)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def local(self, url: str) -> str:
        """``url`` on the distribution's domain, sent to this server instead."""
        prefix = f"https://{self.domain}/"
        if not url.startswith(prefix):
            raise ValueError(f"{url[:60]!r} is not on {self.domain}")
        return f"{self.base_url}/{url.removeprefix(prefix)}"

    def now(self) -> float:
        return time.time() if self.frozen_at is None else self.frozen_at

    def __enter__(self) -> LocalEdge:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    # --- one request ------------------------------------------------------------------------
    def serve(
        self, method: str, raw_path: str, headers: Mapping[str, str], source_ip: str, body: bytes = b""
    ) -> Response:
        path, _, query = raw_path.partition("?")
        lower = {name.lower(): value for name, value in headers.items()}
        host = lower.get("host", "").rsplit(":", 1)[0]
        if host in self.hosts:
            return self.hosts[host](method, lower, body)
        if self.api is not None and (path.startswith(API_PREFIXES) or path in API_PATHS):
            # CloudFront adds its own CloudFront-Viewer-Country (AllViewerExceptHostHeader); a viewer's is not kept.
            lower["cloudfront-viewer-country"] = self.viewer_country
            return self.api(method, raw_path, lower, body)
        if not path.startswith("/vod/"):
            return self._site(path)
        cookies = _cookies(headers.get("Cookie"))
        request = Request(domain=self.domain, path=path, query=query, cookies=cookies, source_ip=source_ip)
        with self.log.lock:
            self.log.checked += 1
        try:
            check(request, self.public_keys, self.now())
        except Refused as refused:
            with self.log.lock:
                self.log.refused += 1
                self.log.reasons[refused.reason] += 1
                self.log.requests.append((path, 403))
            return 403, {"Content-Type": "text/xml"}, b"<Error><Code>AccessDenied</Code></Error>\n"
        source = "query" if request.signed_url() else "cookie"
        if self.key_service is not None and KEYS_PATH.fullmatch(path):
            status, response_headers, body = self._key(method, path, query, headers, body)
        elif path.endswith(MANIFEST_SUFFIXES):
            status, response_headers, body = self._manifest(method, path, query, cookies, headers)
        else:
            status, response_headers, body = self._segment(path, headers.get("Range"))
        with self.log.lock:
            self.log.by_source[source] += 1
            self.log.requests.append((path, status))
        return status, response_headers, body

    def _manifest(
        self, method: str, path: str, query: str, cookies: Mapping[str, str], headers: Mapping[str, str]
    ) -> Response:
        forwarding = self.manifest_forwarding
        forwarded_cookies = [f"{k}={v}" for k, v in cookies.items() if k in forwarding.cookies]
        event = function_url_event(
            path,
            query if forwarding.query_strings else "",
            method=method,
            headers={"accept-encoding": "gzip"} if "gzip" in headers.get("Accept-Encoding", "") else {},
            cookies=forwarded_cookies,
        )
        response = self.rewriter(event, None)
        body = response.get("body", "")
        data = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode("utf-8")
        return int(response["statusCode"]), dict(response.get("headers", {})), data

    def _key(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Response:
        assert self.key_service is not None
        if method in ("POST", "PUT"):
            # Origin access control signs the request to the Function URL with the viewer's payload hash: Lambda
            # takes no unsigned payload, so a POST without x-amz-content-sha256 (the body's SHA-256, hex) or with
            # another body's hash fails the signature check (CloudFront developer guide, "Restrict access to an
            # AWS Lambda function URL origin").
            lower = {name.lower(): value for name, value in headers.items()}
            if lower.get("x-amz-content-sha256", "").lower() != hashlib.sha256(body).hexdigest():
                return 403, {"Content-Type": "application/json"}, b'{"Message":"Forbidden"}'
        raw_cookies = [c.strip() for c in (headers.get("Cookie") or "").split(";") if c.strip()]
        event = function_url_event(
            path,
            query,
            method=method,
            headers={"cloudfront-viewer-country": self.viewer_country},
            cookies=raw_cookies or None,
            body=body if method in ("POST", "PUT") else None,
        )
        response = self.key_service(event, None)
        answer = response.get("body", "")
        data = base64.b64decode(answer) if response.get("isBase64Encoded") else answer.encode("utf-8")
        return int(response["statusCode"]), dict(response.get("headers", {})), data

    def _site(self, path: str) -> Response:
        """The default behavior, public: the origin's static site (``site``: URL path -> file)."""
        file = self.site.get("/index.html" if path == "/" else path)
        if file is None:
            return 404, {"Content-Type": "text/plain"}, b"not found\n"
        headers: Headers = {
            "Content-Type": SITE_TYPES.get(file.suffix, "application/octet-stream"),
            "Cache-Control": "no-store",
        }
        if path.startswith("/npm/"):  # standing in for jsDelivr's npm CDN, which allows any origin
            headers["Access-Control-Allow-Origin"] = "*"
        else:
            headers.update(self.site_headers)
        return 200, headers, file.read_bytes()

    def _segment(self, path: str, byte_range: str | None) -> Response:
        extra = {"Range": byte_range} if byte_range else {}
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=unquote(path[1:]), **extra)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = 404 if code in ("NoSuchKey", "404") else 416 if code == "InvalidRange" else 502
            return status, {"Content-Type": "text/plain"}, f"{code}\n".encode()
        headers: Headers = {
            "Content-Type": response.get("ContentType", "application/octet-stream"),
            "Accept-Ranges": "bytes",
        }
        if "ContentRange" in response:
            headers["Content-Range"] = response["ContentRange"]
        status = 206 if "ContentRange" in response else 200
        return status, headers, response["Body"].read()


def _handler_class(edge: LocalEdge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as players expect of a CDN

        def _respond(self, method: str) -> None:
            headers = {name: value for name, value in self.headers.items()}
            length = int(self.headers.get("Content-Length") or 0)
            request_body = self.rfile.read(length) if length else b""
            status, response_headers, body = edge.serve(
                method, self.path, headers, self.client_address[0], request_body
            )
            self.send_response(status)
            for name, value in response_headers.items():
                if name.lower() != "content-length":
                    for one in value if isinstance(value, list) else [value]:
                        self.send_header(name, one)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:
            self._respond("GET")

        def do_POST(self) -> None:
            self._respond("POST")

        def do_OPTIONS(self) -> None:
            self._respond("OPTIONS")

        def do_HEAD(self) -> None:
            self._respond("HEAD")

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the EdgeLog records requests; no viewer tokens on stderr

    return Handler
