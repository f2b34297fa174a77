"""CloudFront: distributions, origin access control, public keys, key groups and functions
through moto's CloudFront backend; cache, origin-request and response-headers policies and
real-time log configs (which moto has no backend for) are recorded only."""

from __future__ import annotations

from typing import Any

from tools.developer.moto_models.base import (
    CreateContext,
    Emulation,
    RecordedModel,
    ResourceModel,
    aws_client,
    register,
)


def _items(values: list[Any] | None) -> dict[str, Any]:
    values = values or []
    return {"Quantity": len(values), "Items": values}


def _origin(origin: dict[str, Any]) -> dict[str, Any]:
    api = {k: v for k, v in origin.items() if k not in ("OriginCustomHeaders", "CustomOriginConfig")}
    api["CustomHeaders"] = _items(origin.get("OriginCustomHeaders"))
    if "CustomOriginConfig" in origin:
        custom = dict(origin["CustomOriginConfig"])
        protocols = custom.pop("OriginSSLProtocols", ["TLSv1.2"])
        custom["OriginSslProtocols"] = _items(protocols)
        custom.setdefault("HTTPPort", 80)
        custom.setdefault("HTTPSPort", 443)
        api["CustomOriginConfig"] = custom
    return api


def _behavior(behavior: dict[str, Any]) -> dict[str, Any]:
    renamed = {"FunctionAssociations", "LambdaFunctionAssociations", "TrustedKeyGroups", "TrustedSigners"}
    api = {k: v for k, v in behavior.items() if k not in renamed | {"AllowedMethods", "CachedMethods"}}
    api["AllowedMethods"] = {
        **_items(behavior.get("AllowedMethods", ["GET", "HEAD"])),
        "CachedMethods": _items(behavior.get("CachedMethods", ["GET", "HEAD"])),
    }
    for key in renamed:
        api[key] = {**_items(behavior.get(key)), **({"Enabled": bool(behavior.get(key))} if "Trusted" in key else {})}
    return api


def distribution_config(config: dict[str, Any], caller_reference: str) -> dict[str, Any]:
    """A CloudFormation DistributionConfig -> the CloudFront API's (lists become Quantity/Items)."""
    api: dict[str, Any] = {
        "CallerReference": caller_reference,
        "Comment": config.get("Comment", ""),
        "Enabled": config["Enabled"],
        "Origins": _items([_origin(o) for o in config.get("Origins", [])]),
        "DefaultCacheBehavior": _behavior(config["DefaultCacheBehavior"]),
        "CacheBehaviors": _items([_behavior(b) for b in config.get("CacheBehaviors", [])]),
        "Aliases": _items(config.get("Aliases")),
        "CustomErrorResponses": _items(config.get("CustomErrorResponses")),
    }
    for key in ("DefaultRootObject", "PriceClass", "HttpVersion", "WebACLId"):
        if key in config:
            api[key] = config[key]
    if "IPV6Enabled" in config:
        api["IsIPV6Enabled"] = config["IPV6Enabled"]
    if "Logging" in config:
        api["Logging"] = {"Enabled": True, "IncludeCookies": False, "Prefix": "", **config["Logging"]}
    if "ViewerCertificate" in config:
        certificate = dict(config["ViewerCertificate"])
        if "AcmCertificateArn" in certificate:
            certificate["ACMCertificateArn"] = certificate.pop("AcmCertificateArn")
        api["ViewerCertificate"] = certificate
    if "Restrictions" in config:
        geo = config["Restrictions"]["GeoRestriction"]
        api["Restrictions"] = {
            "GeoRestriction": {"RestrictionType": geo["RestrictionType"], **_items(geo.get("Locations"))}
        }
    return api


@register("AWS::CloudFront::Distribution", Emulation.EMULATED)
class Distribution(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        config = distribution_config(props["DistributionConfig"], caller_reference=ctx.name)
        tags = props.get("Tags", [])
        distribution = ctx.client("cloudfront").create_distribution_with_tags(
            DistributionConfigWithTags={"DistributionConfig": config, "Tags": {"Items": tags}}
        )["Distribution"]
        return distribution["Id"], {"Id": distribution["Id"], "DomainName": distribution["DomainName"]}

    def update(self, props: dict[str, Any]) -> dict[str, Any]:
        """A distribution's configuration changes in place (CloudFormation: no interruption); its domain stays."""
        cloudfront = aws_client("cloudfront", self.region_name)
        current = cloudfront.get_distribution_config(Id=self.physical_id)
        config = distribution_config(props["DistributionConfig"], current["DistributionConfig"]["CallerReference"])
        cloudfront.update_distribution(Id=self.physical_id, IfMatch=current["ETag"], DistributionConfig=config)
        return dict(self.attributes)

    def destroy(self) -> None:
        cloudfront = aws_client("cloudfront", self.region_name)
        etag = cloudfront.get_distribution(Id=self.physical_id)["ETag"]
        cloudfront.delete_distribution(Id=self.physical_id, IfMatch=etag)


@register("AWS::CloudFront::OriginAccessControl", Emulation.EMULATED)
class OriginAccessControl(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        control = ctx.client("cloudfront").create_origin_access_control(
            OriginAccessControlConfig=props["OriginAccessControlConfig"]
        )["OriginAccessControl"]
        return control["Id"], {"Id": control["Id"]}

    def destroy(self) -> None:
        aws_client("cloudfront", self.region_name).delete_origin_access_control(Id=self.physical_id)


@register("AWS::CloudFront::PublicKey", Emulation.EMULATED)
class PublicKey(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        key = ctx.client("cloudfront").create_public_key(PublicKeyConfig=props["PublicKeyConfig"])["PublicKey"]
        return key["Id"], {"Id": key["Id"], "CreatedTime": key["CreatedTime"].isoformat()}

    def destroy(self) -> None:
        aws_client("cloudfront", self.region_name).delete_public_key(Id=self.physical_id)


@register("AWS::CloudFront::KeyGroup", Emulation.EMULATED)
class KeyGroup(ResourceModel):
    """Created in moto's backend. moto has no DeleteKeyGroup, so deletion removes it from the backend."""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        group = ctx.client("cloudfront").create_key_group(KeyGroupConfig=props["KeyGroupConfig"])["KeyGroup"]
        return group["Id"], {"Id": group["Id"]}

    def destroy(self) -> None:
        from moto.cloudfront.models import cloudfront_backends

        cloudfront_backends[self.account_id]["aws"].key_groups.pop(self.physical_id, None)


@register("AWS::CloudFront::Function", Emulation.EMULATED)
class Function(ResourceModel):
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        cloudfront = ctx.client("cloudfront")
        summary = cloudfront.create_function(
            Name=props["Name"],
            FunctionConfig={"Comment": "", **props["FunctionConfig"]},
            FunctionCode=props["FunctionCode"].encode(),
        )["FunctionSummary"]
        arn = summary["FunctionMetadata"]["FunctionARN"]
        stage = "DEVELOPMENT"
        if props.get("AutoPublish"):
            # moto has no PublishFunction; publish in its backend.
            from moto.cloudfront.models import cloudfront_backends

            function = cloudfront_backends[ctx.account_id]["aws"].functions[props["Name"]]
            function.stage, function.status = "LIVE", "UNASSOCIATED"
            stage = "LIVE"
        return arn, {"FunctionARN": arn, "FunctionMetadata.FunctionARN": arn, "Stage": stage}

    def destroy(self) -> None:
        cloudfront = aws_client("cloudfront", self.region_name)
        etag = cloudfront.describe_function(Name=self.properties["Name"])["ETag"]
        cloudfront.delete_function(Name=self.properties["Name"], IfMatch=etag)


@register("AWS::CloudFront::CachePolicy", Emulation.RECORDED)
class CachePolicy(RecordedModel):
    ATTRIBUTES = ("Id", "LastModifiedTime")


@register("AWS::CloudFront::OriginRequestPolicy", Emulation.RECORDED)
class OriginRequestPolicy(RecordedModel):
    ATTRIBUTES = ("Id", "LastModifiedTime")


@register("AWS::CloudFront::ResponseHeadersPolicy", Emulation.RECORDED)
class ResponseHeadersPolicy(RecordedModel):
    ATTRIBUTES = ("Id", "LastModifiedTime")


@register("AWS::CloudFront::MonitoringSubscription", Emulation.RECORDED)
class MonitoringSubscription(RecordedModel):
    """A distribution's additional metrics; CloudFormation names it by the distribution ID."""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return str(props["DistributionId"]), {}


@register("AWS::CloudFront::RealtimeLogConfig", Emulation.RECORDED)
class RealtimeLogConfig(RecordedModel):
    """``Ref`` and ``Fn::GetAtt Arn`` both give the ARN, as in CloudFormation."""

    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        arn = f"arn:aws:cloudfront::{ctx.account_id}:realtime-log-config/{props['Name']}"
        return arn, {"Arn": arn}
