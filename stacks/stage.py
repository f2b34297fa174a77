"""One environment (dev, staging or prod) as a CDK Stage."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack, Stage, Tags
from constructs import Construct

from stacks.alerts_stack import AlertsStack
from stacks.analytics_stack import AnalyticsStack
from stacks.api_stack import ApiStack
from stacks.config import EnvironmentConfig
from stacks.constructs.observed import Observed
from stacks.content_replica_stack import ContentReplicaStack
from stacks.cost_allocation import tag_provider_resources
from stacks.edge_security_stack import EdgeSecurityStack
from stacks.edge_stack import EdgeStack
from stacks.ingest_stack import IngestStack
from stacks.names import PROJECT_TAG
from stacks.network_stack import NetworkStack
from stacks.operations_stack import OperationsStack
from stacks.origin_stack import OriginStack
from stacks.playback_stack import PlaybackStack
from stacks.storage_stack import StorageStack
from stacks.zones import check_zones


class ShowrunnerStage(Stage):
    """All stacks of one environment. ``cdk deploy '<env>/*'`` deploys it."""

    def __init__(self, scope: Construct, config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(scope, config.name, **kwargs)
        self.config = config
        check_zones(self, config)
        tags = {"project": PROJECT_TAG, "environment": config.name}
        for key, value in tags.items():
            Tags.of(self).add(key, value)

        self.alerts = AlertsStack(self, "Alerts", config=config)
        self.edge_security = EdgeSecurityStack(self, "EdgeSecurity", config=config)
        self.content_replica = (
            ContentReplicaStack(self, "ContentReplica", config=config) if config.edge.replica_region else None
        )
        self.storage = StorageStack(self, "Storage", config=config)
        if self.content_replica is not None:
            # The replica bucket must exist before the content bucket's replication rule names it.
            self.storage.node.add_dependency(self.content_replica)
        self.ingest = IngestStack(
            self,
            "Ingest",
            config=config,
            content_bucket=self.storage.content_bucket,
            logs_bucket=self.storage.logs_bucket,
            catalog=self.storage.catalog,
            content_keys=self.storage.content_keys,
            alerts_topic=self.alerts.topic,
            alerts_key=self.alerts.key,
        )
        self.network = NetworkStack(self, "Network", config=config, logs_bucket=self.storage.logs_bucket)
        self.api = ApiStack(self, "Api", config=config)
        self.origin = OriginStack(
            self,
            "Origin",
            config=config,
            vpc=self.network.vpc,
            logs_bucket=self.storage.logs_bucket,
            alerts_topic=self.alerts.topic,
            alerts_key=self.alerts.key,
            viewer_pool_id=self.api.viewer_pool_id,
            viewer_client_id=self.api.viewer_client_id,
        )
        self.analytics = AnalyticsStack(
            self,
            "Analytics",
            config=config,
            vpc=self.network.vpc,
            data_lake_bucket=self.storage.data_lake_bucket,
            data_lake_key=self.storage.data_lake_key,
            logs_bucket=self.storage.logs_bucket,
            http_api=self.api.http_api,
            route_authorizer=self.api.route_authorizer,
            catalog_table=self.storage.catalog.table,
            catalog_key=self.storage.catalog.key,
        )
        self.edge = EdgeStack(
            self,
            "Edge",
            config=config,
            content_bucket=self.storage.content_bucket,
            logs_bucket=self.storage.logs_bucket,
            app_origin_domain=self.origin.origin_domain_name,
            app_origin_https=self.origin.origin_https,
            app_origin_header=(self.origin.origin_header_name, self.origin.origin_header_value),
            api_domain_name=self.api.domain_name,
            realtime_log_stream=self.analytics.cdn_logs_stream,
            web_acl_arn=self.edge_security.web_acl_arn,
            catalog_table=self.storage.catalog.table,
            catalog_key=self.storage.catalog.key,
            content_keys_table=self.storage.content_keys.table,
            content_keys_key=self.storage.content_keys.key,
        )
        self.playback = PlaybackStack(
            self,
            "Playback",
            config=config,
            catalog_table=self.storage.catalog.table,
            catalog_key=self.storage.catalog.key,
            api=self.api,
            distribution_domain=self.edge.domain_name,
            key_pair_id=self.edge.signing.active_key_id,
        )
        # Last: it watches the others.
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
                    "CatalogApi": self.playback.catalog.function,
                    "ManifestRewriter": self.edge.rewriter.function,
                    "KeyService": self.edge.key_service.function,
                    "EventIngest": self.analytics.ingestion.function,
                    "RowsApi": self.analytics.rows_api.function,
                },
                streams={
                    "player-events": self.analytics.player_events_stream,
                    **({"cdn-logs": self.analytics.cdn_logs_stream} if self.analytics.cdn_logs_stream else {}),
                },
                nightly_run=self.analytics.nightly.state_machine,
                distribution=self.edge.distribution,
            ),
        )
        for stack in self.node.children:
            if isinstance(stack, Stack):
                tag_provider_resources(stack, tags)
