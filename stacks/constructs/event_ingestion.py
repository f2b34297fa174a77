"""POST /events: a thin Lambda that validates player events and puts them on the player-events stream."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_kinesis as kinesis
from constructs import Construct

from stacks.constructs.props import EnvironmentProps
from stacks.constructs.python_function import PythonFunction


class EventIngestion(Construct):
    """``POST /events`` on the shared HTTP API, behind its JWT authorizer.

    The function (``lambda/event_ingest``) may only ``PutRecords`` on the
    one stream, the one call it makes (tests/iam proves it needs no more);
    docs/architecture.md explains why a Lambda and not a direct service
    integration.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: EnvironmentProps,
        stream: kinesis.IStream,
        http_api: apigwv2.IHttpApi,
        authorizer: apigwv2.IHttpRouteAuthorizer,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = PythonFunction(
            self,
            "Function",
            env=env,
            source="event_ingest",
            description=f"Showrunner {env.name} POST /events: validate player events, put them on Kinesis",
            environment={"STREAM_ARN": stream.stream_arn},
            memory_size=512,  # Lambda's CPU share grows with memory: more of it for validating 500-event batches
            timeout=Duration.seconds(10),
        )
        # Not grant_write: it adds kinesis:PutRecord and kinesis:ListShards, which the handler never calls.
        stream.grant(self.function, "kinesis:PutRecords")
        self.route = apigwv2.HttpRoute(
            self,
            "Route",
            http_api=http_api,
            route_key=apigwv2.HttpRouteKey.with_("/events", apigwv2.HttpMethod.POST),
            integration=integrations.HttpLambdaIntegration("Integration", self.function),
            authorizer=authorizer,
        )
