"""Cache, origin-request and response-headers policies tuned by content type."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront
from constructs import Construct

# CloudFront's signed-URL parameters. CloudFront checks them at the edge; S3 must not see
# them, because S3 reads a "Signature" query parameter as a second authentication
# mechanism next to origin access control's SigV4 header and refuses the request.
TOKEN_PARAMETERS = ("Policy", "Signature", "Key-Pair-Id")
# The same token as signed cookies: the rewriter reads them when the query string has no token.
# Forwarded to it, but not in the cache key: CloudFront checks them itself before its cache.
TOKEN_COOKIES = tuple(f"CloudFront-{name}" for name in TOKEN_PARAMETERS)


class MediaPolicies(Construct):
    """The policies of the media behaviors.

    * ``manifest_cache``: every query string in the cache key (and forwarded),
      so a signed-URL viewer's token never opens another viewer's manifest;
      no cookies, so signed-cookie viewers share one copy of the manifest as
      stored; TTL 0 to ``manifest_max_ttl_seconds`` (the rewriter marks
      tokenized manifests ``private, no-store``, so only stored ones are kept);
      gzip and Brotli in the key so the rewriter can compress.
    * ``manifest_origin_request``: forwards the signed cookies
      (``TOKEN_COOKIES``) to the rewriter, which reads a cookie viewer's token
      from them; nothing else beyond the cache key.
    * ``segment_cache``: no query string, header or cookie in the key, so all
      viewers share one cached copy of each segment; long TTLs
      (``segment_ttl_days``).
    * ``segment_origin_request``: forwards the query string to S3 except the
      token parameters (``TOKEN_PARAMETERS``).
    * ``response_headers``: HSTS (two years, subdomains), nosniff,
      strict-origin-when-cross-origin referrer policy, frame denial, and CORS
      for ``cors_allowed_origins`` (GET/HEAD/OPTIONS) when any are set.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: str,
        manifest_max_ttl_seconds: int,
        segment_ttl_days: int,
        cors_allowed_origins: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        prefix = f"showrunner-{environment}"
        self.manifest_cache = cloudfront.CachePolicy(
            self,
            "ManifestCache",
            cache_policy_name=f"{prefix}-manifests",
            comment="Manifests: a signed URL's token is part of the cache key; signed cookies are not",
            query_string_behavior=cloudfront.CacheQueryStringBehavior.all(),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            min_ttl=Duration.seconds(0),
            default_ttl=Duration.seconds(min(2, manifest_max_ttl_seconds)),
            max_ttl=Duration.seconds(manifest_max_ttl_seconds),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        self.manifest_origin_request = cloudfront.OriginRequestPolicy(
            self,
            "ManifestOriginRequest",
            origin_request_policy_name=f"{prefix}-manifests",
            comment="Forward a signed-cookie viewer's token to the rewriter, outside the cache key",
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.none(),
            header_behavior=cloudfront.OriginRequestHeaderBehavior.none(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.allow_list(*TOKEN_COOKIES),
        )
        self.segment_cache = cloudfront.CachePolicy(
            self,
            "SegmentCache",
            cache_policy_name=f"{prefix}-segments",
            comment="Shared media segments: nothing viewer-specific in the cache key",
            query_string_behavior=cloudfront.CacheQueryStringBehavior.none(),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            min_ttl=Duration.days(1),
            default_ttl=Duration.days(segment_ttl_days),
            max_ttl=Duration.days(segment_ttl_days),
        )
        self.segment_origin_request = cloudfront.OriginRequestPolicy(
            self,
            "SegmentOriginRequest",
            origin_request_policy_name=f"{prefix}-segments",
            comment="Forward the query string to S3 without CloudFront's token parameters",
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.deny_list(*TOKEN_PARAMETERS),
            header_behavior=cloudfront.OriginRequestHeaderBehavior.none(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
        )
        cors = (
            cloudfront.ResponseHeadersCorsBehavior(
                access_control_allow_origins=list(cors_allowed_origins),
                access_control_allow_methods=["GET", "HEAD", "OPTIONS"],
                access_control_allow_headers=["Authorization", "Content-Type", "Range"],
                access_control_expose_headers=["Content-Length", "Content-Range", "ETag"],
                access_control_allow_credentials=False,
                access_control_max_age=Duration.hours(1),
                origin_override=True,
            )
            if cors_allowed_origins
            else None
        )
        self.response_headers = cloudfront.ResponseHeadersPolicy(
            self,
            "ResponseHeaders",
            response_headers_policy_name=f"{prefix}-security",
            comment="HSTS, nosniff, referrer policy, frame denial and player CORS",
            cors_behavior=cors,
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730), include_subdomains=True, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=True
                ),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
            ),
        )
