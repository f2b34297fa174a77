"""What exists in an account, service by service, read through boto3.

Taken before a deployment and after its teardown, the difference is what the
teardown left behind: nothing in dev, only the retained data in prod.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ClientFactory = Callable[[str, str], Any]


def _buckets(client: ClientFactory, region: str) -> set[str]:
    s3 = client("s3", region)
    found = set()
    for bucket in s3.list_buckets()["Buckets"]:
        versions = s3.list_object_versions(Bucket=bucket["Name"])
        keys = sorted(v["Key"] for v in versions.get("Versions", []))
        found.add(f"bucket {bucket['Name']}")
        found.update(f"object {bucket['Name']}/{key}" for key in keys)
    return found


def _ec2(client: ClientFactory, region: str) -> set[str]:
    ec2 = client("ec2", region)
    found = {f"vpc {v['VpcId']}" for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")}
    found |= {f"subnet {s['SubnetId']}" for s in ec2.describe_subnets()["Subnets"] if not s.get("DefaultForAz")}
    found |= {f"route-table {r['RouteTableId']}" for r in ec2.describe_route_tables()["RouteTables"]}
    found |= {f"security-group {g['GroupId']}" for g in ec2.describe_security_groups()["SecurityGroups"]}
    found |= {
        f"internet-gateway {g['InternetGatewayId']}" for g in ec2.describe_internet_gateways()["InternetGateways"]
    }
    found |= {
        f"nat-gateway {g['NatGatewayId']}"
        for g in ec2.describe_nat_gateways()["NatGateways"]
        if g["State"] not in ("deleted", "deleting")
    }
    found |= {f"elastic-ip {a['AllocationId']}" for a in ec2.describe_addresses()["Addresses"]}
    found |= {
        f"instance {i['InstanceId']}"
        for r in ec2.describe_instances()["Reservations"]
        for i in r["Instances"]
        if i["State"]["Name"] != "terminated"
    }
    found |= {
        f"network-interface {n['NetworkInterfaceId']}" for n in ec2.describe_network_interfaces()["NetworkInterfaces"]
    }
    found |= {
        f"vpc-endpoint {e['VpcEndpointId']}"
        for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
        if e["State"].lower() != "deleted"
    }
    found |= {f"flow-log {f['FlowLogId']}" for f in ec2.describe_flow_logs()["FlowLogs"]}
    found |= {f"volume {v['VolumeId']}" for v in ec2.describe_volumes()["Volumes"]}
    found |= {f"launch-template {t['LaunchTemplateId']}" for t in ec2.describe_launch_templates()["LaunchTemplates"]}
    return found


def _regional(client: ClientFactory, region: str) -> set[str]:
    found = set()
    kms = client("kms", region)
    # AWS managed keys (alias/aws/ebs, made with the first encrypted volume) are AWS's, and permanent.
    aws_managed = {
        a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith("alias/aws/")
    }
    for key in kms.list_keys()["Keys"]:
        metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if metadata["KeyState"] != "PendingDeletion" and key["KeyId"] not in aws_managed:
            found.add(f"kms-key {key['KeyId']} ({metadata['KeyState']})")
    found |= {f"sns-topic {t['TopicArn']}" for t in client("sns", region).list_topics()["Topics"]}
    found |= {f"lambda {f['FunctionName']}" for f in client("lambda", region).list_functions()["Functions"]}
    parameters = client("ssm", region).get_paginator("describe_parameters").paginate()
    # Parameters under /aws/ are AWS's public ones (moto loads them when first read).
    found |= {
        f"ssm-parameter {p['Name']}"
        for page in parameters
        for p in page["Parameters"]
        if not p["Name"].startswith("/aws/")
    }
    found |= {f"secret {s['ARN']}" for s in client("secretsmanager", region).list_secrets()["SecretList"]}
    found |= {f"alarm {a['AlarmName']}" for a in client("cloudwatch", region).describe_alarms()["MetricAlarms"]}
    found |= {f"log-group {g['logGroupName']}" for g in client("logs", region).describe_log_groups()["logGroups"]}
    found |= {f"kinesis-stream {name}" for name in client("kinesis", region).list_streams()["StreamNames"]}
    found |= {f"dynamodb-table {name}" for name in client("dynamodb", region).list_tables()["TableNames"]}
    found |= {f"sqs-queue {url}" for url in client("sqs", region).list_queues().get("QueueUrls", [])}
    pools = client("cognito-idp", region).list_user_pools(MaxResults=60)["UserPools"]
    found |= {f"user-pool {p['Id']}" for p in pools}
    found |= {
        f"delivery-stream {name}" for name in client("firehose", region).list_delivery_streams()["DeliveryStreamNames"]
    }
    found |= {f"http-api {a['ApiId']}" for a in client("apigatewayv2", region).get_apis()["Items"]}
    found |= {
        f"state-machine {m['name']}" for m in client("stepfunctions", region).list_state_machines()["stateMachines"]
    }
    found |= {f"event-rule {r['Name']}" for r in client("events", region).list_rules()["Rules"]}
    cloudwatch = client("cloudwatch", region)
    found |= {f"dashboard {d['DashboardName']}" for d in cloudwatch.list_dashboards()["DashboardEntries"]}
    found |= {f"schedule {s['Name']}" for s in client("scheduler", region).list_schedules()["Schedules"]}
    templates = client("fis", region).list_experiment_templates()["experimentTemplates"]
    found |= {f"fis-template {t['id']}" for t in templates}
    found |= {
        f"stack {s['StackName']}"
        for s in client("cloudformation", region).list_stacks()["StackSummaries"]
        if s["StackStatus"] != "DELETE_COMPLETE"
    }
    return found


def _global(client: ClientFactory, region: str) -> set[str]:
    iam = client("iam", region)
    found = {
        f"iam-role {r['RoleName']}" for r in iam.list_roles()["Roles"] if not r["Path"].startswith("/aws-service-role/")
    }
    found |= {f"instance-profile {p['InstanceProfileName']}" for p in iam.list_instance_profiles()["InstanceProfiles"]}
    distributions = client("cloudfront", region).list_distributions()["DistributionList"].get("Items", [])
    found |= {f"distribution {d['Id']}" for d in distributions}
    found |= {
        f"load-balancer {lb['LoadBalancerArn']}"
        for lb in client("elbv2", region).describe_load_balancers()["LoadBalancers"]
    }
    found |= {
        f"target-group {t['TargetGroupArn']}" for t in client("elbv2", region).describe_target_groups()["TargetGroups"]
    }
    groups = client("autoscaling", region).describe_auto_scaling_groups()["AutoScalingGroups"]
    found |= {f"auto-scaling-group {g['AutoScalingGroupName']}" for g in groups}
    account = client("sts", region).get_caller_identity()["Account"]
    found |= {
        f"budget {b['BudgetName']}" for b in client("budgets", region).describe_budgets(AccountId=account)["Budgets"]
    }
    return found


def inventory(client: ClientFactory, regions: set[str], *, toolkit_buckets: frozenset[str] = frozenset()) -> set[str]:
    """One line per resource (``"<kind> <id>"``) across the given regions and global services.

    ``toolkit_buckets`` (the CDK assets buckets) are listed without their objects:
    published assets belong to the bootstrap, and stay after a stage is destroyed.
    """
    first = sorted(regions)[0]
    found = {
        item
        for item in _buckets(client, first)
        if not any(item.startswith(f"object {bucket}/") for bucket in toolkit_buckets)
    }
    for region in sorted(regions):
        found |= _ec2(client, region) | _regional(client, region)
    return found | _global(client, first)
