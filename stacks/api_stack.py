"""Api: the HTTP API that players call, with its JWT authorizer."""

from __future__ import annotations

import json
from typing import Any

import jsii
from aws_cdk import CfnOutput, Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from stacks.base_stack import ShowrunnerStack
from stacks.compliance import Ack
from stacks.log_groups import log_group
from stacks.names import CATALOG_TIERS, PLAN_GROUP_PREFIX, VIEWER_CLIENT_OUTPUT, VIEWER_POOL_OUTPUT

# One JSON object per request. No headers, tokens or claims: only what an operator needs.
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "method": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "latencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
}


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(self, destination: apigwv2.IAccessLogDestination) -> None:
        self._destination = destination

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":")))


class ApiStack(ShowrunnerStack):
    """The players' HTTP API (API Gateway v2).

    * ``http_api`` with a ``$default`` stage that auto-deploys, throttles
      (``api.throttle_rate_limit`` / ``api.throttle_burst_limit``) and writes
      JSON access logs.
    * A JWT authorizer on ``Authorization: Bearer <token>``. Issuer and
      audience come from ``api.jwt_issuer`` / ``api.jwt_audience``; when no
      issuer is configured, a Cognito user pool and a public app client
      (SRP sign-in, no client secret) are created and used. The pool is on
      the Plus plan with full-function threat protection.
    * The pool's plan groups, ``plan-free``, ``plan-standard`` and
      ``plan-premium``: a viewer's plan is the group in the token's
      ``cognito:groups`` claim (docs/api.md, "Entitlement").
    * Routes live in the stacks that own their integrations (Playback adds
      ``GET /playback/{titleId}``, Analytics adds ``POST /events``), each
      attaching ``route_authorizer``. No route is left unauthenticated.
    """

    acknowledgments = (
        Ack(
            "Viewers/Resource",
            "AwsSolutions-COG2",
            "Viewers sign in on TVs, consoles and phones, so MFA is offered (TOTP) rather than required; "
            "the pool's Plus-plan threat protection (FULL_FUNCTION) demands MFA on risky sign-ins and "
            "blocks compromised credentials.",
        ),
    )

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, description="HTTP API and JWT authorizer", **kwargs)
        config = self.config
        api_config = config.api

        self.user_pool: cognito.UserPool | None = None
        # The web player's sign-in (the Origin stack's site): the pool and its app client, or "" with another issuer.
        self.viewer_pool_id = ""
        self.viewer_client_id = ""
        if api_config.jwt_issuer:
            issuer = api_config.jwt_issuer
            audience = list(api_config.jwt_audience)
        else:
            self.user_pool, client = self._user_pool()
            issuer = f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool.user_pool_id}"
            audience = [client.user_pool_client_id]
            self.viewer_pool_id = self.user_pool.user_pool_id
            self.viewer_client_id = client.user_pool_client_id
            CfnOutput(self, VIEWER_POOL_OUTPUT, value=self.viewer_pool_id)
            CfnOutput(self, VIEWER_CLIENT_OUTPUT, value=self.viewer_client_id)

        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            api_name=f"showrunner-{config.name}",
            description=f"Showrunner {config.name} player API",
            create_default_stage=False,
        )
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=api_config.throttle_rate_limit, burst_limit=api_config.throttle_burst_limit
            ),
            access_log_settings=_AccessLogSettings(
                apigwv2.LogGroupLogDestination(log_group(self, "AccessLogs", self.env_props))
            ),
        )
        authorizer = apigwv2.HttpAuthorizer(
            self,
            "JwtAuthorizer",
            http_api=self.http_api,
            type=apigwv2.HttpAuthorizerType.JWT,
            identity_source=["$request.header.Authorization"],
            jwt_issuer=issuer,
            jwt_audience=audience,
        )
        self.route_authorizer = apigwv2.HttpAuthorizer.from_http_authorizer_attributes(
            self, "RouteAuthorizer", authorizer_id=authorizer.authorizer_id, authorizer_type="JWT"
        )
        # The host CloudFront forwards /playback/* and /events to: the endpoint without its https://.
        self.domain_name = f"{self.http_api.api_id}.execute-api.{self.region}.{self.url_suffix}"
        CfnOutput(self, "ApiEndpoint", value=self.http_api.api_endpoint)
        CfnOutput(self, "JwtIssuer", value=issuer)

    def _email(self) -> cognito.UserPoolEmail | None:
        """SES (``api.email_sender``), or None: Cognito's own sender, capped at 50 emails a day."""
        sender = self.config.api.email_sender
        if sender is None:
            return None
        return cognito.UserPoolEmail.with_ses(
            from_email=sender.from_address,
            from_name=sender.from_name,
            reply_to=sender.reply_to,
            ses_verified_domain=sender.verified_domain,
            ses_region=sender.ses_region,
            configuration_set_name=sender.configuration_set,
        )

    def _user_pool(self) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        config = self.config
        pool = cognito.UserPool(
            self,
            "Viewers",
            user_pool_name=f"showrunner-{config.name}-viewers",
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            email=self._email(),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            # Plus: threat protection that blocks compromised credentials and asks for MFA on risky sign-ins.
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=config.retain_data,
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
        client = pool.add_client(
            "PlayerClient",
            user_pool_client_name="player",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            disable_o_auth=True,  # players sign in with SRP; no hosted UI, so no implicit flow or callback URL
            prevent_user_existence_errors=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
        # Highest plan first: Cognito puts the group of lowest precedence in the ID token's cognito:preferred_role,
        # and lists every group in cognito:groups, which is what the issuer reads.
        for precedence, tier in enumerate(reversed(CATALOG_TIERS)):
            cognito.CfnUserPoolGroup(
                self,
                f"Plan{tier.capitalize()}",
                user_pool_id=pool.user_pool_id,
                group_name=f"{PLAN_GROUP_PREFIX}{tier}",
                description=f"Viewers on the {tier} plan: they may watch {tier} titles and those of lower tiers",
                precedence=precedence,
            )
        return pool, client
