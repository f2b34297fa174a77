"""The settings of dev, staging and prod before any override."""

from __future__ import annotations

from typing import Any

_COMMON: dict[str, Any] = {
    "region": "us-east-1",
    "availability_zones": ["us-east-1a", "us-east-1b"],
    # A common mapping of those names; yours may differ: `make zones ENV=...` (docs/operations.md).
    "availability_zone_ids": ["use1-az6", "use1-az1"],
    # A play lives for the title plus half an hour (15 minutes at least, 6 hours at most); the catalog a
    # function read is at most 10 s old (docs/api.md, "Token lifetime" and "Entitlement").
    "playback": {"url_ttl_seconds": 21_600, "token_min_seconds": 900, "token_margin_seconds": 1_800},
    "catalog": {"cache_seconds": 10, "page_size": 24},
}

# The nightly EMR run; every environment overrides the capacity.
_EMR: dict[str, Any] = {
    "release_label": "emr-7.13.0",
    "schedule": "cron(0 3 * * ? *)",
    "primary_instance_types": ["m7g.xlarge", "m6g.xlarge"],
    "core_instance_types": ["m7g.xlarge", "m6g.xlarge"],
    "task_instance_types": ["m7g.xlarge", "m6g.xlarge", "r7g.xlarge", "c7g.xlarge"],
    "step_timeout_minutes": 120,
    "idle_timeout_minutes": 30,
}

DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        **_COMMON,
        "production": False,
        "vpc_cidr": "10.10.0.0/16",
        "nat": {"mode": "instance"},
        "origin": {
            "min_capacity": 1,
            "desired_capacity": 1,
            "max_capacity": 2,
            # Burstable in standard credit mode: the cheapest floor (docs/cost.md), CPU tracking at the baseline.
            "instance_types": ["t4g.micro", "t4g.small"],
            "cpu_target_percent": 10,
            "prime_time": {"start": "18:00", "end": "23:00", "min_capacity": 2},
        },
        "api": {"throttle_rate_limit": 50, "throttle_burst_limit": 100},
        "edge": {"price_class": "PriceClass_100", "realtime_log_sampling_percent": 100},
        "analytics": {
            "player_events": {"mode": "provisioned", "shards": 1},
            # No CloudFront real-time logs in dev: the stream is the largest idle cost left ($10.95/month,
            # docs/cost.md); standard logs still reach the logs bucket.
            "cdn_logs": None,
            "stream_retention_hours": 24,
            "iterator_age_alarm_minutes": 30,
            "firehose_buffer_seconds": 900,
            "firehose_buffer_mib": 64,
            # Weekly in dev (Sundays 03:00 UTC): a dev data lake changes little, and each run costs ≈ $0.26
            # (docs/cost.md, "Dev, and the $75 target"). Start one by hand any time (docs/operations.md).
            "emr": {**_EMR, "schedule": "cron(0 3 ? * SUN *)", "core_units": 1, "task_spot_units": 1, "max_units": 4},
        },
        "retention": {"cloudwatch_logs_days": 14, "access_logs_days": 30, "noncurrent_versions_days": 7},
        "data_removal": "destroy",
        "operations": {"chaos_monkey": {"enabled": True}, "budget": {"monthly_limit_usd": 150}},
        # Two jobs at a time: a developer's uploads queue instead of running (and billing) in parallel.
        "ingest": {"queue_concurrent_jobs": 2, "max_source_gib": 20, "max_source_minutes": 180},
        # The run is weekly in dev: a week's rows must outlast the next run, and a failed one.
        "personalization": {"rows_retention_days": 21},
    },
    "staging": {
        **_COMMON,
        "production": False,
        "vpc_cidr": "10.20.0.0/16",
        "nat": {"mode": "gateway", "gateways": 1},
        "origin": {
            "min_capacity": 2,
            "desired_capacity": 2,
            "max_capacity": 4,
            "prime_time": {"start": "18:00", "end": "23:00", "min_capacity": 3},
        },
        "api": {"throttle_rate_limit": 200, "throttle_burst_limit": 400},
        "edge": {"price_class": "PriceClass_100", "realtime_log_sampling_percent": 50},
        "analytics": {
            "player_events": {"mode": "provisioned", "shards": 1},
            "cdn_logs": {"mode": "provisioned", "shards": 1},
            "stream_retention_hours": 24,
            "iterator_age_alarm_minutes": 30,
            "firehose_buffer_seconds": 300,
            "firehose_buffer_mib": 64,
            "emr": {**_EMR, "core_units": 1, "task_spot_units": 2, "max_units": 6},
        },
        "retention": {"cloudwatch_logs_days": 30, "access_logs_days": 90, "noncurrent_versions_days": 30},
        "data_removal": "destroy",
        "operations": {"chaos_monkey": {"enabled": True}, "budget": {"monthly_limit_usd": 400}},
        # As prod, so what prod plays is rehearsed here; dev stays clear unless a developer turns it on.
        "ingest": {"protection": {"default": "aes-128"}},
    },
    "prod": {
        **_COMMON,
        "production": True,
        "availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"],
        "availability_zone_ids": ["use1-az6", "use1-az1", "use1-az2"],
        "vpc_cidr": "10.30.0.0/16",
        "nat": {"mode": "gateway", "gateways": 3},
        "origin": {
            "min_capacity": 3,
            "desired_capacity": 3,
            "max_capacity": 12,
            "instance_types": ["c7g.medium", "c6g.medium", "m7g.medium"],
            "on_demand_base_capacity": 3,
            "on_demand_percentage_above_base": 50,
            "prime_time": {"start": "18:00", "end": "23:00", "min_capacity": 6},
        },
        "api": {"throttle_rate_limit": 5000, "throttle_burst_limit": 10000},
        "edge": {
            "price_class": "PriceClass_All",
            "realtime_log_sampling_percent": 5,
            "replica_region": "us-west-2",
            "additional_metrics": True,
        },
        "analytics": {
            "player_events": {"mode": "on_demand"},
            "cdn_logs": {"mode": "on_demand"},
            "stream_retention_hours": 168,
            "iterator_age_alarm_minutes": 15,
            "firehose_buffer_seconds": 300,
            "firehose_buffer_mib": 128,
            "emr": {
                **_EMR,
                "core_instance_types": ["m7g.2xlarge", "m6g.2xlarge"],
                "task_instance_types": ["m7g.2xlarge", "m6g.2xlarge", "r7g.2xlarge", "c7g.2xlarge"],
                "core_units": 2,
                "task_spot_units": 4,
                "max_units": 20,
            },
        },
        "retention": {"cloudwatch_logs_days": 365, "access_logs_days": 365, "noncurrent_versions_days": 90},
        "data_removal": "retain",
        "operations": {"chaos_monkey": {"enabled": False}, "budget": {"monthly_limit_usd": 2500}},
        # Titles ingested in prod are encrypted with built-in keys (docs/operations.md, "Content protection").
        "ingest": {"queue_concurrent_jobs": 20, "protection": {"default": "aes-128"}},
    },
}
