"""One environment (dev, staging or prod) as a CDK Stage."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aspects, Stage, Tags
from constructs import Construct

from stacks.alerts_stack import AlertsStack
from stacks.analytics_stack import AnalyticsStack
from stacks.api_stack import ApiStack
from stacks.config import EnvironmentConfig
from stacks.constructs.observed import Observed
from stacks.content_replica_stack import ContentReplicaStack
from stacks.cost_allocation import TagProviderResources
from stacks.edge_security_stack import EdgeSecurityStack
from stacks.network_stack import NetworkStack
from stacks.operations_stack import OperationsStack
from stacks.origin_stack import OriginStack
from stacks.playback_stack import PlaybackStack
from stacks.storage_stack import StorageStack

PROJECT_TAG = "showrunner"


class ShowrunnerStage(Stage):
    """All stacks of one environment. ``cdk deploy '<env>/*'`` deploys it."""

    def __init__(self, scope: Construct, config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(scope, config.name, **kwargs)
        self.config = config
        Tags.of(self).add("project", PROJECT_TAG)
        Tags.of(self).add("environment", config.name)
        Aspects.of(self).add(TagProviderResources({"project": PROJECT_TAG, "environment": config.name}))

        self.alerts = AlertsStack(self, "Alerts", config=config)
        self.edge_security = EdgeSecurityStack(self, "EdgeSecurity", config=config)
        self.content_replica = (
            ContentReplicaStack(self, "ContentReplica", config=config) if config.edge.replica_region else None
        )
        self.storage = StorageStack(self, "Storage", config=config)
        if self.content_replica is not None:
            # The replica bucket must exist before the content bucket's replication rule names it.
            self.storage.node.add_dependency(self.content_replica)
        self.network = NetworkStack(self, "Network", config=config, logs_bucket=self.storage.logs_bucket)
        self.api = ApiStack(self, "Api", config=config)
        self.playback = PlaybackStack(
            self, "Playback", config=config, content_bucket=self.storage.content_bucket, api=self.api
        )
        self.origin = OriginStack(
            self,
            "Origin",
            config=config,
            vpc=self.network.vpc,
            logs_bucket=self.storage.logs_bucket,
            alerts_topic=self.alerts.topic,
            alerts_key=self.alerts.key,
        )
        self.analytics = AnalyticsStack(
            self,
            "Analytics",
            config=config,
            vpc=self.network.vpc,
            data_lake_bucket=self.storage.data_lake_bucket,
            data_lake_key=self.storage.data_lake_key,
            logs_bucket=self.storage.logs_bucket,
            alarm_topic=self.alerts.topic,
            http_api=self.api.http_api,
            route_authorizer=self.api.route_authorizer,
        )
        # Last: it watches the others. Wire the Edge distribution into Observed when it lands.
        self.operations = OperationsStack(
            self,
            "Operations",
            config=config,
            alerts_topic=self.alerts.topic,
            observed=Observed(
                group=self.origin.fleet.group,
                load_balancer=self.origin.load_balancer.load_balancer,
                target_group=self.origin.target_group,
                functions={
                    "SignedUrl": self.playback.issuer.function,
                    "ManifestRewriter": self.playback.rewriter_function,
                    "EventIngest": self.analytics.ingestion.function,
                },
                streams={
                    "player-events": self.analytics.player_events_stream,
                    "cdn-logs": self.analytics.cdn_logs_stream,
                },
                nightly_run=self.analytics.nightly.state_machine,
            ),
        )
