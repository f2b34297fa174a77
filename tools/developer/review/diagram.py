"""The architecture diagram, generated from the assembly: stacks as clusters, main resources, their connections.

``NODE_TYPES`` says which resource types are drawn; ``CONNECTOR_TYPES`` are
plumbing that joins two main resources without being drawn (a listener and
target group join a load balancer to its Auto Scaling group). Two main
resources joined by references, directly or through connectors, get an edge
when a row of ``EDGE_RULES`` names their types; the row gives the direction
of the data flow and the label. New stacks land by adding rows.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import graphviz

from tools.developer.review.intrinsics import AssemblyIndex, Reference, ResourceKey


@dataclass(frozen=True)
class NodeType:
    label: str
    category: str
    aggregate: bool = False  # one node per stack for all resources of this type ("12 alarms")


NODE_TYPES: dict[str, NodeType] = {
    "AWS::CloudFront::Distribution": NodeType("CloudFront distribution", "network"),
    "AWS::WAFv2::WebACL": NodeType("WAF web ACL", "security"),
    "AWS::S3::Bucket": NodeType("S3 bucket", "storage"),
    "AWS::DynamoDB::Table": NodeType("DynamoDB table", "storage"),
    "AWS::Lambda::Function": NodeType("Lambda function", "compute"),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": NodeType("load balancer", "network"),
    "AWS::AutoScaling::AutoScalingGroup": NodeType("Auto Scaling group", "compute"),
    "AWS::EC2::Instance": NodeType("EC2 instance", "compute"),
    "AWS::EC2::VPC": NodeType("VPC", "network"),
    "AWS::EC2::NatGateway": NodeType("NAT gateway", "network"),
    "AWS::EC2::VPCEndpoint": NodeType("VPC endpoint", "network"),
    "AWS::ApiGatewayV2::Api": NodeType("HTTP API", "integration"),
    "AWS::Cognito::UserPool": NodeType("Cognito user pool", "security"),
    "AWS::SecretsManager::Secret": NodeType("secret", "security"),
    "AWS::Kinesis::Stream": NodeType("Kinesis stream", "analytics"),
    "AWS::KinesisFirehose::DeliveryStream": NodeType("Firehose stream", "analytics"),
    "AWS::EMR::Cluster": NodeType("EMR cluster", "analytics"),
    "AWS::EMRServerless::Application": NodeType("EMR Serverless application", "analytics"),
    "AWS::StepFunctions::StateMachine": NodeType("Step Functions state machine", "integration"),
    "AWS::Events::Rule": NodeType("EventBridge rule", "integration"),
    "AWS::Scheduler::Schedule": NodeType("EventBridge schedule", "integration"),
    "AWS::SNS::Topic": NodeType("SNS topic", "integration"),
    "AWS::CloudWatch::Alarm": NodeType("CloudWatch alarms", "management", aggregate=True),
    "AWS::CloudWatch::Dashboard": NodeType("CloudWatch dashboard", "management"),
    "AWS::Budgets::Budget": NodeType("budget", "management"),
    "AWS::FIS::ExperimentTemplate": NodeType("FIS experiment templates", "management", aggregate=True),
}

CONNECTOR_TYPES: frozenset[str] = frozenset(
    {
        "AWS::ElasticLoadBalancingV2::Listener",
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "AWS::Lambda::Url",
        "AWS::Lambda::EventSourceMapping",
        "AWS::ApiGatewayV2::Integration",
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Authorizer",
        "AWS::CloudFront::RealtimeLogConfig",
        "AWS::WAFv2::WebACLAssociation",
        "AWS::EC2::Subnet",
        "AWS::EC2::FlowLog",
        "AWS::SNS::Subscription",
    }
)

# aws-cdk-lib's own helpers (custom-resource providers): not part of the architecture.
EXCLUDED_PATHS: tuple[str, ...] = ("*CustomResourceProvider*", "*/AWS679f53fac002430cb0da5b7982bd2287/*")

ANY = "*"


@dataclass(frozen=True)
class EdgeRule:
    source: str  # resource type the data flows from
    target: str  # resource type it flows to, or ANY
    label: str
    via: str = ""  # only when a reference sits under this property (e.g. "Logging")


EDGE_RULES: tuple[EdgeRule, ...] = (
    EdgeRule("AWS::WAFv2::WebACL", "AWS::CloudFront::Distribution", "filters"),
    EdgeRule("AWS::CloudFront::Distribution", "AWS::S3::Bucket", "standard logs", via="Logging"),
    EdgeRule("AWS::CloudFront::Distribution", "AWS::S3::Bucket", "origin (OAC)"),
    EdgeRule("AWS::CloudFront::Distribution", "AWS::Lambda::Function", "origin (function URL)", via="Origins"),
    EdgeRule("AWS::CloudFront::Distribution", "AWS::ApiGatewayV2::Api", "origin (API)", via="Origins"),
    EdgeRule("AWS::CloudFront::Distribution", "AWS::ElasticLoadBalancingV2::LoadBalancer", "origin"),
    EdgeRule("AWS::CloudFront::Distribution", "AWS::Kinesis::Stream", "real-time logs"),
    EdgeRule("AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::AutoScaling::AutoScalingGroup", "targets"),
    EdgeRule("AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::S3::Bucket", "access logs"),
    EdgeRule("AWS::ApiGatewayV2::Api", "AWS::Lambda::Function", "route"),
    EdgeRule("AWS::ApiGatewayV2::Api", "AWS::Kinesis::Stream", "route"),
    EdgeRule("AWS::ApiGatewayV2::Api", "AWS::Cognito::UserPool", "JWT authorizer"),
    EdgeRule("AWS::Kinesis::Stream", "AWS::KinesisFirehose::DeliveryStream", "source"),
    EdgeRule("AWS::Kinesis::Stream", "AWS::Lambda::Function", "events"),
    EdgeRule("AWS::KinesisFirehose::DeliveryStream", "AWS::S3::Bucket", "delivers"),
    EdgeRule("AWS::S3::Bucket", "AWS::EMR::Cluster", "Spark input"),
    EdgeRule("AWS::S3::Bucket", "AWS::EMRServerless::Application", "Spark input"),
    EdgeRule("AWS::S3::Bucket", "AWS::StepFunctions::StateMachine", "job data"),
    EdgeRule("AWS::StepFunctions::StateMachine", "AWS::EMR::Cluster", "runs"),
    EdgeRule("AWS::StepFunctions::StateMachine", "AWS::EMRServerless::Application", "runs"),
    EdgeRule("AWS::Events::Rule", "AWS::StepFunctions::StateMachine", "schedule"),
    EdgeRule("AWS::Events::Rule", "AWS::Lambda::Function", "schedule"),
    EdgeRule("AWS::Scheduler::Schedule", "AWS::StepFunctions::StateMachine", "schedule"),
    EdgeRule("AWS::Scheduler::Schedule", "AWS::Lambda::Function", "schedule"),
    EdgeRule("AWS::Lambda::Function", "AWS::SecretsManager::Secret", "reads"),
    EdgeRule("AWS::Lambda::Function", "AWS::S3::Bucket", "reads"),
    EdgeRule("AWS::Lambda::Function", "AWS::AutoScaling::AutoScalingGroup", "terminates instances"),
    EdgeRule("AWS::FIS::ExperimentTemplate", "AWS::AutoScaling::AutoScalingGroup", "experiments"),
    EdgeRule("AWS::FIS::ExperimentTemplate", "AWS::CloudWatch::Alarm", "stop condition"),
    EdgeRule("AWS::CloudWatch::Alarm", "AWS::SNS::Topic", "notifies"),
    EdgeRule("AWS::CloudWatch::Alarm", ANY, "watches"),
    EdgeRule("AWS::Budgets::Budget", "AWS::SNS::Topic", "notifies"),
    EdgeRule("AWS::AutoScaling::AutoScalingGroup", "AWS::SNS::Topic", "notifications"),
    EdgeRule("AWS::EC2::VPC", "AWS::EC2::NatGateway", "egress"),
    EdgeRule("AWS::EC2::VPC", "AWS::EC2::Instance", ""),
    EdgeRule("AWS::EC2::VPC", "AWS::EC2::VPCEndpoint", "endpoint"),
    EdgeRule("AWS::EC2::VPC", "AWS::S3::Bucket", "flow logs"),
    EdgeRule("AWS::S3::Bucket", "AWS::S3::Bucket", "access logs", via="LoggingConfiguration"),
    EdgeRule("AWS::S3::Bucket", "AWS::S3::Bucket", "replication", via="ReplicationConfiguration"),
)

_CATEGORY_COLORS = {  # (fill, border), after the AWS architecture icon palette
    "compute": ("#FDEBD8", "#ED7100"),
    "storage": ("#E9F3D8", "#7AA116"),
    "network": ("#EEE4FF", "#8C4FFF"),
    "security": ("#FBE1E4", "#DD344C"),
    "analytics": ("#DDF2EE", "#01A88D"),
    "integration": ("#FCE1EE", "#E7157B"),
    "management": ("#FCE1EE", "#B0084D"),
}


@dataclass(frozen=True)
class Node:
    id: str
    stack: str
    label: str
    resource_type: str
    members: tuple[ResourceKey, ...]


@dataclass(frozen=True, order=True)
class Edge:
    source: str
    target: str
    label: str


@dataclass
class Diagram:
    title: str
    clusters: dict[str, str]  # stack name -> cluster label
    nodes: list[Node]
    edges: list[Edge]

    def graph(self) -> graphviz.Digraph:
        graph = graphviz.Digraph(self.title)
        # newrank: rank the whole graph at once, clusters included. Graphviz 2.43's default per-cluster ranking
        # stops with "trouble in init_rank" on dev's graph once the Analytics stack holds the rows table, loader
        # and API, and on prod's once the key service joined the Edge stack; newrank lays them out.
        graph.attr(
            rankdir="LR",
            newrank="true",
            fontname="Helvetica",
            fontsize="12",
            label=self.title,
            labelloc="t",
            nodesep="0.3",
        )
        graph.attr("node", shape="box", style="rounded,filled", fontname="Helvetica", fontsize="10")
        graph.attr("edge", fontname="Helvetica", fontsize="9", color="#545B64")
        for stack, label in self.clusters.items():
            members = [node for node in self.nodes if node.stack == stack]
            if not members:
                continue
            with graph.subgraph(name=f"cluster_{_dot_id(stack)}") as cluster:
                cluster.attr(label=label, style="rounded", color="#879196", fontcolor="#232F3E")
                for node in members:
                    fill, border = _CATEGORY_COLORS[NODE_TYPES[node.resource_type].category]
                    cluster.node(node.id, label=node.label, fillcolor=fill, color=border)
        for edge in self.edges:
            graph.edge(edge.source, edge.target, label=edge.label)
        return graph

    def render(self, svg: Path, png: Path) -> None:
        """Write the diagram as SVG and PNG (needs Graphviz's ``dot``)."""
        graph = self.graph()
        svg.write_bytes(graph.pipe(format="svg"))
        png.write_bytes(graph.pipe(format="png"))


def _dot_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _display_name(path: str, stage: str, stack_id: str) -> str:
    name = path.removeprefix(f"{stage}/{stack_id}/").removesuffix("/Resource")
    return name or path


def _excluded(path: str) -> bool:
    return any(fnmatchcase(path, pattern) for pattern in EXCLUDED_PATHS)


def _rule_for(source_type: str, target_type: str, hops: list[Reference]) -> EdgeRule | None:
    for rule in EDGE_RULES:
        if rule.source == source_type and rule.target in (target_type, ANY):
            if rule.via and not any(rule.via in hop.property_path for hop in hops):
                continue
            return rule
    return None


def build(index: AssemblyIndex, stacks: list[str], title: str) -> Diagram:
    """The diagram of ``stacks`` (stack names, in order)."""
    types: dict[ResourceKey, str] = {}
    paths: dict[ResourceKey, str] = {}
    for stack in stacks:
        for logical_id, resource in index.stacks[stack].resources.items():
            key = ResourceKey(stack, logical_id)
            types[key] = resource.get("Type", "")
            paths[key] = resource.get("Metadata", {}).get("aws:cdk:path", logical_id)

    main = {key for key, kind in types.items() if kind in NODE_TYPES and not _excluded(paths[key])}
    connectors = {key for key, kind in types.items() if kind in CONNECTOR_TYPES}

    # Undirected reference graph, remembering who refers to whom and from which property.
    links: dict[ResourceKey, list[tuple[ResourceKey, Reference, bool]]] = {}
    for key in types:
        resource = index.resource(key) or {}
        for reference in index.references(key.stack, resource.get("Properties", {}), "Properties"):
            if reference.target not in types or reference.target == key:
                continue
            links.setdefault(key, []).append((reference.target, reference, True))
            links.setdefault(reference.target, []).append((key, reference, False))

    # Nodes; aggregated types become one node per stack.
    node_of: dict[ResourceKey, str] = {}
    grouped: dict[str, list[ResourceKey]] = {}
    for key in sorted(main):
        spec = NODE_TYPES[types[key]]
        node_id = _dot_id(f"{key.stack}__{types[key]}" if spec.aggregate else f"{key.stack}__{key.logical_id}")
        node_of[key] = node_id
        grouped.setdefault(node_id, []).append(key)
    nodes = []
    for node_id, members in grouped.items():
        first = members[0]
        spec = NODE_TYPES[types[first]]
        artifact = index.stacks[first.stack]
        stack_id = artifact.display_name.rsplit("/", 1)[-1]
        if spec.aggregate:
            label = f"{len(members)} {spec.label}" if len(members) > 1 else spec.label.rstrip("s")
        else:
            label = f"{_display_name(paths[first], artifact.stage, stack_id)}\n{spec.label}"
        nodes.append(Node(node_id, first.stack, label, types[first], tuple(members)))

    # Edges: from each main resource, walk through connectors to the next main resources.
    edges: set[Edge] = set()
    for start in sorted(main):
        seen = {start}
        queue: deque[tuple[ResourceKey, list[Reference], bool | None]] = deque([(start, [], None)])
        while queue:
            current, hops, start_refers = queue.popleft()
            for neighbour, reference, outgoing in links.get(current, []):
                if neighbour in seen:
                    continue
                seen.add(neighbour)
                path = [*hops, reference]
                refers = outgoing if start_refers is None else start_refers
                if neighbour in main:
                    edge = _edge(types, node_of, start, neighbour, path, refers)
                    if edge is not None:
                        edges.add(edge)
                elif neighbour in connectors:
                    queue.append((neighbour, path, refers))
    clusters = {stack: f"{stack} ({index.stacks[stack].region})" for stack in stacks}
    return Diagram(title, clusters, sorted(nodes, key=lambda n: (stacks.index(n.stack), n.id)), sorted(edges))


def _edge(
    types: dict[ResourceKey, str],
    node_of: dict[ResourceKey, str],
    start: ResourceKey,
    end: ResourceKey,
    hops: list[Reference],
    start_refers: bool,
) -> Edge | None:
    start_type, end_type = types[start], types[end]
    if node_of[start] == node_of[end]:
        return None
    if start_type == end_type:
        # Same type (bucket -> logs bucket): the data flows from the resource holding the reference.
        rule = _rule_for(start_type, end_type, hops)
        if rule is None or not start_refers:
            return None
        return Edge(node_of[start], node_of[end], rule.label)
    rule = _rule_for(start_type, end_type, hops)
    if rule is not None:
        return Edge(node_of[start], node_of[end], rule.label)
    return None  # the reverse pair is found when the walk starts from the other end
