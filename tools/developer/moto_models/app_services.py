"""Application services: Secrets Manager, Lambda function URLs, API Gateway v2 (HTTP APIs) and Cognito."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from tools.developer.moto_models.base import CreateContext, Emulation, ResourceModel, aws_client, compact, register


def pick(props: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The listed properties that are set (the API and CloudFormation share these names)."""
    return {key: props[key] for key in keys if key in props}


def tag_list(tags: Any) -> list[dict[str, str]]:
    """Tags as a CloudFormation list, or a map (Cognito, API Gateway v2), -> [{Key, Value}]."""
    if isinstance(tags, dict):
        return [{"Key": k, "Value": v} for k, v in tags.items()]
    return list(tags or [])


@register("AWS::SecretsManager::Secret", Emulation.EMULATED)
class Secret(ResourceModel):
    NAME_PROPERTY = "Name"

    @classmethod
    def generate(cls, ctx: CreateContext, spec: dict[str, Any]) -> str:
        options = pick(
            spec,
            "ExcludeCharacters",
            "ExcludeLowercase",
            "ExcludeNumbers",
            "ExcludePunctuation",
            "ExcludeUppercase",
            "IncludeSpace",
            "PasswordLength",
            "RequireEachIncludedType",
        )
        password: str = ctx.client("secretsmanager").get_random_password(**options)["RandomPassword"]
        if "SecretStringTemplate" in spec:
            document = json.loads(spec["SecretStringTemplate"])
            document[spec["GenerateStringKey"]] = password
            return json.dumps(document)
        return password

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        secret_string = props.get("SecretString")
        if secret_string is None and "GenerateSecretString" in props:
            secret_string = cls.generate(ctx, props["GenerateSecretString"])
        arn: str = ctx.client("secretsmanager").create_secret(
            **compact(
                Name=props.get("Name") or f"{ctx.logical_id}-{ctx.random_id(length=12)}",
                Description=props.get("Description"),
                KmsKeyId=props.get("KmsKeyId"),
                SecretString=secret_string,
                Tags=tag_list(props.get("Tags")) or None,
                AddReplicaRegions=props.get("ReplicaRegions"),
            )
        )["ARN"]
        return arn, {"Id": arn}

    def destroy(self) -> None:
        aws_client("secretsmanager", self.region_name).delete_secret(
            SecretId=self.physical_id, ForceDeleteWithoutRecovery=True
        )


@register("AWS::SecretsManager::ResourcePolicy", Emulation.EMULATED)
class SecretResourcePolicy(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        policy = props["ResourcePolicy"]
        ctx.client("secretsmanager").put_resource_policy(
            SecretId=props["SecretId"],
            ResourcePolicy=policy if isinstance(policy, str) else json.dumps(policy),
            BlockPublicPolicy=bool(props.get("BlockPublicPolicy", False)),
        )
        return props["SecretId"], {"Id": props["SecretId"]}

    def destroy(self) -> None:
        secrets = aws_client("secretsmanager", self.region_name)
        if any(s["ARN"] == self.physical_id for s in secrets.list_secrets()["SecretList"]):
            secrets.delete_resource_policy(SecretId=self.physical_id)


@register("AWS::Lambda::Permission", Emulation.EMULATED)
class LambdaPermission(ResourceModel):
    """Through AddPermission: moto's model gives no physical ID and cannot be deleted."""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        statement_id = f"{ctx.logical_id}-{ctx.random_id(length=8)}"[:100]
        ctx.client("lambda").add_permission(
            StatementId=statement_id,
            **pick(
                props,
                "FunctionName",
                "Action",
                "Principal",
                "SourceArn",
                "SourceAccount",
                "EventSourceToken",
                "FunctionUrlAuthType",
                "PrincipalOrgID",
            ),
        )
        return statement_id, {}

    def destroy(self) -> None:
        try:
            aws_client("lambda", self.region_name).remove_permission(
                FunctionName=self.properties["FunctionName"], StatementId=self.physical_id
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":  # gone with its function
                raise


@register("AWS::Lambda::EventInvokeConfig", Emulation.EMULATED)
class EventInvokeConfig(ResourceModel):
    """Through PutFunctionEventInvokeConfig: asynchronous retries and event age of one function."""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ctx.client("lambda").put_function_event_invoke_config(
            FunctionName=props["FunctionName"],
            Qualifier=props["Qualifier"],
            **{key: int(props[key]) for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds") if key in props},
            **pick(props, "DestinationConfig"),
        )
        return f"{props['FunctionName']}:{props['Qualifier']}", {}

    def destroy(self) -> None:
        aws_client("lambda", self.region_name).delete_function_event_invoke_config(
            FunctionName=self.properties["FunctionName"], Qualifier=self.properties["Qualifier"]
        )


@register("AWS::Lambda::Url", Emulation.EMULATED)
class FunctionUrl(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        config = ctx.client("lambda").create_function_url_config(
            FunctionName=props["TargetFunctionArn"], **pick(props, "Qualifier", "AuthType", "Cors", "InvokeMode")
        )
        return config["FunctionArn"], {"FunctionArn": config["FunctionArn"], "FunctionUrl": config["FunctionUrl"]}

    def destroy(self) -> None:
        aws_client("lambda", self.region_name).delete_function_url_config(
            FunctionName=self.properties["TargetFunctionArn"], **pick(self.properties, "Qualifier")
        )


@register("AWS::ApiGatewayV2::Api", Emulation.EMULATED)
class HttpApi(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        api = ctx.client("apigatewayv2").create_api(
            Name=props.get("Name", ctx.name),
            ProtocolType=props.get("ProtocolType", "HTTP"),
            **pick(
                props,
                "Description",
                "CorsConfiguration",
                "DisableExecuteApiEndpoint",
                "RouteSelectionExpression",
                "ApiKeySelectionExpression",
                "Tags",
                "Version",
                "Target",
                "RouteKey",
                "CredentialsArn",
            ),
        )
        return api["ApiId"], {"ApiId": api["ApiId"], "ApiEndpoint": api["ApiEndpoint"]}

    def destroy(self) -> None:
        aws_client("apigatewayv2", self.region_name).delete_api(ApiId=self.physical_id)


class _ApiChild(ResourceModel):
    """A child of an HTTP API, deleted with ``delete_<kind>(ApiId=..., <Kind>Id=...)``."""

    KIND = ""
    KEYS: tuple[str, ...] = ()

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        create = getattr(ctx.client("apigatewayv2"), f"create_{cls.KIND.lower()}")
        created = create(ApiId=props["ApiId"], **pick(props, *cls.KEYS))
        child_id = created[f"{cls.KIND}Id"]
        return child_id, {f"{cls.KIND}Id": child_id}

    def destroy(self) -> None:
        delete = getattr(aws_client("apigatewayv2", self.region_name), f"delete_{self.KIND.lower()}")
        delete(ApiId=self.properties["ApiId"], **{f"{self.KIND}Id": self.physical_id})


@register("AWS::ApiGatewayV2::Route", Emulation.EMULATED)
class Route(_ApiChild):
    KIND = "Route"
    KEYS = (
        "RouteKey",
        "Target",
        "AuthorizationType",
        "AuthorizerId",
        "AuthorizationScopes",
        "OperationName",
        "ApiKeyRequired",
    )


@register("AWS::ApiGatewayV2::Integration", Emulation.EMULATED)
class Integration(_ApiChild):
    KIND = "Integration"
    KEYS = (
        "IntegrationType",
        "IntegrationUri",
        "IntegrationMethod",
        "PayloadFormatVersion",
        "ConnectionType",
        "ConnectionId",
        "TimeoutInMillis",
        "RequestParameters",
        "CredentialsArn",
        "Description",
    )


@register("AWS::ApiGatewayV2::Authorizer", Emulation.EMULATED)
class Authorizer(_ApiChild):
    KIND = "Authorizer"
    KEYS = (
        "AuthorizerType",
        "Name",
        "IdentitySource",
        "JwtConfiguration",
        "AuthorizerUri",
        "AuthorizerPayloadFormatVersion",
        "EnableSimpleResponses",
        "AuthorizerResultTtlInSeconds",
    )


@register("AWS::ApiGatewayV2::Stage", Emulation.EMULATED)
class Stage(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        stage = ctx.client("apigatewayv2").create_stage(
            ApiId=props["ApiId"],
            StageName=props["StageName"],
            **pick(
                props,
                "AutoDeploy",
                "AccessLogSettings",
                "DefaultRouteSettings",
                "RouteSettings",
                "StageVariables",
                "Description",
                "DeploymentId",
                "Tags",
            ),
        )
        return stage["StageName"], {}

    def destroy(self) -> None:
        aws_client("apigatewayv2", self.region_name).delete_stage(
            ApiId=self.properties["ApiId"], StageName=self.physical_id
        )


_USER_POOL_KEYS = (
    "Policies",
    "LambdaConfig",
    "AutoVerifiedAttributes",
    "AliasAttributes",
    "UsernameAttributes",
    "SmsVerificationMessage",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "VerificationMessageTemplate",
    "SmsAuthenticationMessage",
    "MfaConfiguration",
    "DeviceConfiguration",
    "EmailConfiguration",
    "SmsConfiguration",
    "AdminCreateUserConfig",
    "Schema",
    "UserPoolAddOns",
    "UsernameConfiguration",
    "AccountRecoverySetting",
    "DeletionProtection",
    "UserPoolTags",
)


@register("AWS::Cognito::UserPool", Emulation.EMULATED)
class UserPool(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        pool = ctx.client("cognito-idp").create_user_pool(
            PoolName=props.get("UserPoolName", ctx.name), **pick(props, *_USER_POOL_KEYS)
        )["UserPool"]
        provider = f"cognito-idp.{ctx.region}.amazonaws.com/{pool['Id']}"
        return pool["Id"], {
            "Arn": pool["Arn"],
            "UserPoolId": pool["Id"],
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
        }

    def destroy(self) -> None:
        aws_client("cognito-idp", self.region_name).delete_user_pool(UserPoolId=self.physical_id)


@register("AWS::Cognito::UserPoolClient", Emulation.EMULATED)
class UserPoolClient(ResourceModel):
    _KEYS = (
        "GenerateSecret",
        "RefreshTokenValidity",
        "AccessTokenValidity",
        "IdTokenValidity",
        "TokenValidityUnits",
        "ReadAttributes",
        "WriteAttributes",
        "ExplicitAuthFlows",
        "SupportedIdentityProviders",
        "CallbackURLs",
        "LogoutURLs",
        "DefaultRedirectURI",
        "AllowedOAuthFlows",
        "AllowedOAuthScopes",
        "AllowedOAuthFlowsUserPoolClient",
        "PreventUserExistenceErrors",
        "EnableTokenRevocation",
        "AuthSessionValidity",
    )

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        client = ctx.client("cognito-idp").create_user_pool_client(
            UserPoolId=props["UserPoolId"],
            ClientName=props.get("ClientName", ctx.logical_id),
            **pick(props, *cls._KEYS),
        )["UserPoolClient"]
        attributes = {"ClientId": client["ClientId"], "Name": client["ClientName"]}
        if "ClientSecret" in client:
            attributes["ClientSecret"] = client["ClientSecret"]
        return client["ClientId"], attributes

    def destroy(self) -> None:
        aws_client("cognito-idp", self.region_name).delete_user_pool_client(
            UserPoolId=self.properties["UserPoolId"], ClientId=self.physical_id
        )


@register("AWS::Cognito::UserPoolGroup", Emulation.EMULATED)
class UserPoolGroup(ResourceModel):
    """A group of the pool (the viewers' plans), as moto's ``CreateGroup``."""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = str(props.get("GroupName") or f"{ctx.logical_id}-{ctx.random_id()}")
        ctx.client("cognito-idp").create_group(
            UserPoolId=props["UserPoolId"], GroupName=name, **pick(props, "Description", "Precedence", "RoleArn")
        )
        return name, {}

    def destroy(self) -> None:
        aws_client("cognito-idp", self.region_name).delete_group(
            UserPoolId=self.properties["UserPoolId"], GroupName=self.physical_id
        )


@register("AWS::Cognito::UserPoolDomain", Emulation.EMULATED)
class UserPoolDomain(ResourceModel):
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        response = ctx.client("cognito-idp").create_user_pool_domain(
            Domain=props["Domain"], UserPoolId=props["UserPoolId"], **pick(props, "CustomDomainConfig")
        )
        return props["Domain"], {"CloudFrontDistribution": response.get("CloudFrontDomain", "")}

    def destroy(self) -> None:
        aws_client("cognito-idp", self.region_name).delete_user_pool_domain(
            Domain=self.physical_id, UserPoolId=self.properties["UserPoolId"]
        )
