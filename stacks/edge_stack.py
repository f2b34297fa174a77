"""Edge: the CloudFront distribution of one environment, and the manifest rewriter behind it."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Fn
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.base_stack import ShowrunnerStack
from stacks.compliance import Ack, synchronous_function_skips
from stacks.constructs.cdn_realtime_logs import CdnRealtimeLogs
from stacks.constructs.key_service import KeyService
from stacks.constructs.manifest_rewriter import MANIFEST_KEYS, ManifestRewriter
from stacks.constructs.media_policies import MediaPolicies
from stacks.constructs.signing_key_group import SigningKeyGroup
from stacks.content_replica_stack import replica_bucket_name
from stacks.names import ACTIVE_SIGNING_KEY_OUTPUT

# A protected title's key URI, inside the title (so the viewer's token covers it): lambda/key_service.
KEYS_PATH = "/vod/*/keys/*"
# Its Clear Key licence (DASH), the one path of the key service that takes a POST.
CLEARKEY_PATH = "/vod/*/keys/clearkey"
# Primary-bucket answers that send a segment request to the replica (prod's origin group).
FAILOVER_STATUS_CODES = [403, 404, 500, 502, 503, 504]
PRICE_CLASSES = {
    "PriceClass_100": cloudfront.PriceClass.PRICE_CLASS_100,
    "PriceClass_200": cloudfront.PriceClass.PRICE_CLASS_200,
    "PriceClass_All": cloudfront.PriceClass.PRICE_CLASS_ALL,
}


_REWRITER_READ = (
    "The manifest rewriter reads whichever title's manifest CloudFront forwards, so it may GetObject HLS and "
    "DASH manifests (vod/*.m3u8, vod/*.mpd) and nothing else: no media segment or other object is readable."
)


class EdgeStack(ShowrunnerStack):
    """One distribution, and nothing reaches a video byte without a valid signature.

    The manifest rewriter (``lambda/manifest_rewriter``) lives here, as the
    distribution's origin for manifests; the signed-URL issuer lives in the
    Playback stack, after this one, because it signs for this distribution's
    domain with this key group's active key.

    Behaviors, most specific first:

    | path | origin | access |
    |---|---|---|
    | ``/vod/*/keys/clearkey`` | key service Function URL (OAC, SigV4), no cache; POST licence | trusted key group |
    | ``/vod/*/keys/*`` | key service Function URL (OAC, SigV4), no cache; GET key | trusted key group |
    | ``/vod/*.m3u8``, ``/vod/*.mpd`` | manifest-rewriter Function URL (OAC, SigV4) | trusted key group |
    | ``/vod/*`` | content bucket (OAC); prod: origin group failing over to the replica | trusted key group |
    | ``/playback/*``, ``/catalog(/*)``, ``/trending``, ``/me/*``, ``/events`` | the HTTP API | JWT at the API |
    | ``/api/*`` and default | the origin ALB, with the secret origin header | public |

    Plus: the us-east-1 WebACL, HTTP/2 and HTTP/3, IPv6, the configured price
    class, geo restriction from ``allowed_countries``/``blocked_countries``,
    standard logs to the logs bucket, real-time logs to Kinesis (when the
    Analytics stack has a CDN log stream), and the
    custom domain with TLS 1.2 (2021 policy) when one is configured.
    """

    acknowledgments = (
        *(
            Ack(
                "Rewriter/FunctionRole/DefaultPolicy/Resource",
                f"AwsSolutions-IAM5[Resource::{{ref:Storage/ContentBucket.Arn}}/{key}]",
                _REWRITER_READ,
            )
            for key in MANIFEST_KEYS
        ),
        Ack(
            "Distribution/Resource",
            "AwsSolutions-CFR4",
            "No custom domain is configured (domain_name/certificate_arn), so viewers reach the "
            "distribution's cloudfront.net name, whose default certificate CloudFront fixes at TLSv1; "
            "configure a domain and us-east-1 certificate to get TLSv1.2_2021.",
            when=lambda config: config.domain_name is None,
        ),
        Ack(
            "Distribution/Resource",
            "AwsSolutions-CFR5",
            "No origin certificate is configured (origin.certificate_arn), so CloudFront reaches the ALB "
            "over HTTP; the ALB admits only CloudFront's origin-facing prefix list and forwards only "
            "requests with the secret origin header. Every other origin is HTTPS-only with TLS 1.2.",
            when=lambda config: config.origin.certificate_arn is None,
        ),
        Ack(
            "Distribution/Resource",
            "AwsSolutions-CFR1",
            "The catalog is licensed worldwide unless configured otherwise; allowed_countries or "
            "blocked_countries turn on both CloudFront geo restriction and the WebACL geo rule.",
            when=lambda config: not (config.allowed_countries or config.blocked_countries),
        ),
        Ack(
            "Distribution/Origin*",
            "Annotation::@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac",
            "Intended: the content and replica buckets' own stacks grant CloudFront OAC read on vod/* "
            "(SecureBucket.allow_cloudfront_read), because a statement naming this distribution would "
            "make the bucket stack depend on the Edge stack and back (aws-cdk issue 31462).",
        ),
    )
    checkov_skips = (
        *synchronous_function_skips("Rewriter/Function/Resource"),
        *synchronous_function_skips("KeyService/Function/Resource"),
        Ack(
            "Distribution/Resource",
            "CKV_AWS_174",
            "No custom domain is configured (domain_name/certificate_arn), so viewers reach the distribution's "
            "cloudfront.net name with CloudFront's default certificate, whose policy CloudFront fixes; a "
            "configured domain gets TLSv1.2_2021.",
            when=lambda config: config.domain_name is None,
        ),
    )

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        content_bucket: s3.IBucket,
        logs_bucket: s3.IBucket,
        app_origin_domain: str,
        app_origin_https: bool,
        app_origin_header: tuple[str, str],
        api_domain_name: str,
        realtime_log_stream: kinesis.IStream | None,
        web_acl_arn: str,
        catalog_table: dynamodb.ITableV2,
        catalog_key: kms.IKey,
        content_keys_table: dynamodb.ITableV2,
        content_keys_key: kms.IKey,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            scope, construct_id, description="CloudFront distribution", cross_region_references=True, **kwargs
        )
        config = self.config
        prefix = f"showrunner-{config.name}"

        self.signing = SigningKeyGroup(
            self, "Signing", public_key_pems=config.edge.public_key_pems(), comment=f"{prefix} playback"
        )
        self.rewriter = ManifestRewriter(
            self,
            "Rewriter",
            env=self.env_props,
            fresh_seconds=config.edge.manifest_fresh_seconds,
            content_bucket=content_bucket,
        )
        self.key_service = KeyService(
            self,
            "KeyService",
            env=self.env_props,
            catalog_table=catalog_table,
            catalog_key=catalog_key,
            content_keys_table=content_keys_table,
            content_keys_key=content_keys_key,
        )
        policies = MediaPolicies(
            self,
            "Policies",
            environment=config.name,
            manifest_max_ttl_seconds=config.edge.manifest_max_ttl_seconds,
            segment_ttl_days=config.edge.segment_ttl_days,
            cors_allowed_origins=config.edge.cors_allowed_origins,
        )
        log_config = (
            CdnRealtimeLogs(
                self,
                "RealtimeLogs",
                stream=realtime_log_stream,
                sampling_percent=config.edge.realtime_log_sampling_percent,
                name=f"{prefix}-cdn",
            ).config
            if realtime_log_stream is not None
            else None
        )
        key_groups = [self.signing.key_group]

        # The bucket is referenced as imported so CDK does not add a statement naming this
        # distribution to the Storage stack's bucket policy (a dependency cycle); the Storage
        # stack grants CloudFront read on vod/* itself (SecureBucket.allow_cloudfront_read).
        s3_access = cloudfront.S3OriginAccessControl(self, "S3Access", description=f"{prefix} content")
        content = origins.S3BucketOrigin.with_origin_access_control(
            s3.Bucket.from_bucket_attributes(
                self,
                "ContentBucketRef",
                bucket_arn=content_bucket.bucket_arn,
                bucket_regional_domain_name=content_bucket.bucket_regional_domain_name,
            ),
            origin_access_control=s3_access,
            origin_access_levels=[cloudfront.AccessLevel.READ],
        )
        segments_origin: cloudfront.IOrigin = content
        if config.edge.replica_region:
            replica = origins.S3BucketOrigin.with_origin_access_control(
                s3.Bucket.from_bucket_attributes(
                    self,
                    "ReplicaBucketRef",
                    bucket_name=replica_bucket_name(config.name, config.edge.replica_region),
                    region=config.edge.replica_region,
                ),
                origin_access_control=s3_access,
                origin_access_levels=[cloudfront.AccessLevel.READ],
            )
            segments_origin = origins.OriginGroup(
                primary_origin=content, fallback_origin=replica, fallback_status_codes=FAILOVER_STATUS_CODES
            )

        rewriter = origins.FunctionUrlOrigin.with_origin_access_control(self.rewriter.function_url)
        header_name, header_value = app_origin_header
        app = origins.HttpOrigin(
            app_origin_domain,
            protocol_policy=(
                cloudfront.OriginProtocolPolicy.HTTPS_ONLY
                if app_origin_https
                else cloudfront.OriginProtocolPolicy.HTTP_ONLY
            ),
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
            custom_headers={header_name: header_value},
        )
        api = origins.HttpOrigin(
            api_domain_name,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
        )

        def behavior(origin: cloudfront.IOrigin, **options: Any) -> cloudfront.BehaviorOptions:
            return cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=policies.response_headers,
                realtime_log_config=log_config,
                **options,
            )

        manifest = behavior(
            rewriter,
            trusted_key_groups=key_groups,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
            cache_policy=policies.manifest_cache,
            origin_request_policy=policies.manifest_origin_request,
            compress=True,
        )
        # The API behaviors: nothing cached; every viewer header but Host (API Gateway answers 403 to another
        # Host), and CloudFront's own headers, CloudFront-Viewer-Country among them: the managed
        # AllViewerExceptHostHeader policy adds the viewer location headers, which a custom policy cannot
        # combine with "all viewer headers except Host". The catalog, the issuer and the rows API read the country
        # from it.
        dynamic = {
            "cache_policy": cloudfront.CachePolicy.CACHING_DISABLED,
            "origin_request_policy": cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        }
        api_get = behavior(api, allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS, **dynamic)
        # The key service: the viewer's one token covers it (inside the title), checked here like a segment's; never
        # cached; the token (query or cookies) and CloudFront-Viewer-Country forwarded, Host not (a Function URL
        # answers only to its own). Keys are GET only. The Clear Key licence is a POST: CloudFront offers no
        # GET+HEAD+POST set, so its own behavior lets every method through and the function answers 405 to all but
        # POST; through OAC a POST must carry its body's SHA-256 in x-amz-content-sha256, which this policy forwards.
        key_service = origins.FunctionUrlOrigin.with_origin_access_control(self.key_service.function_url)

        def keys(methods: cloudfront.AllowedMethods) -> cloudfront.BehaviorOptions:
            return behavior(
                key_service,
                trusted_key_groups=key_groups,
                allowed_methods=methods,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                compress=False,
            )

        additional = {
            CLEARKEY_PATH: keys(cloudfront.AllowedMethods.ALLOW_ALL),
            KEYS_PATH: keys(cloudfront.AllowedMethods.ALLOW_GET_HEAD),
            **dict.fromkeys((f"/{key}" for key in MANIFEST_KEYS), manifest),
            "/vod/*": behavior(
                segments_origin,
                trusted_key_groups=key_groups,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=policies.segment_cache,
                origin_request_policy=policies.segment_origin_request,
                compress=False,  # media segments are already compressed
            ),
            "/playback/*": api_get,
            "/catalog": api_get,
            "/catalog/*": api_get,
            "/trending": api_get,
            "/me/*": api_get,
            "/events": behavior(api, allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL, **dynamic),
            "/api/*": behavior(app, allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL, **dynamic),
        }

        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", config.certificate_arn)
            if config.certificate_arn
            else None
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Showrunner {config.name}",
            default_behavior=behavior(
                app,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                compress=True,
            ),
            additional_behaviors=additional,
            domain_names=[config.domain_name] if config.domain_name else None,
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            publish_additional_metrics=config.edge.additional_metrics or None,
            enable_ipv6=True,
            price_class=PRICE_CLASSES[config.edge.price_class],
            geo_restriction=self._geo_restriction(),
            web_acl_id=web_acl_arn,
            enable_logging=True,
            log_bucket=logs_bucket,
            log_file_prefix="cloudfront/",
            log_includes_cookies=False,
        )

        self.domain_name = config.domain_name or self.distribution.distribution_domain_name
        CfnOutput(self, "DistributionDomainName", value=self.distribution.distribution_domain_name)
        CfnOutput(self, "DistributionId", value=self.distribution.distribution_id)
        CfnOutput(self, ACTIVE_SIGNING_KEY_OUTPUT, value=self.signing.active_key_id)
        CfnOutput(
            self,
            "SigningPublicKeyIds",
            value=Fn.join(",", [key.public_key_id for key in self.signing.public_keys]),
            description="CloudFront public key IDs, in the order of edge.signing_public_keys",
        )

    def _geo_restriction(self) -> cloudfront.GeoRestriction | None:
        if self.config.blocked_countries:
            return cloudfront.GeoRestriction.denylist(*self.config.blocked_countries)
        if self.config.allowed_countries:
            return cloudfront.GeoRestriction.allowlist(*self.config.allowed_countries)
        return None
