"""Reference tables: what AWS accepts, and per-region defaults."""

from __future__ import annotations

# Values CloudWatch Logs accepts for a log group's retention (PutRetentionPolicy).
CLOUDWATCH_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

# Interface endpoints we know how to create; see docs/cost.md for when one pays for itself.
INTERFACE_ENDPOINT_SERVICES = frozenset(
    {"ssm", "ssmmessages", "ec2messages", "secretsmanager", "kms", "logs", "monitoring", "kinesis-streams", "sts"}
)

# Baseline CPU utilization per vCPU of each Graviton burstable size (EC2 documentation,
# "Key concepts and definitions for burstable performance instances").
T4G_BASELINE_PERCENT: dict[str, int] = {
    "t4g.nano": 5,
    "t4g.micro": 10,
    "t4g.small": 20,
    "t4g.medium": 20,
    "t4g.large": 30,
    "t4g.xlarge": 40,
    "t4g.2xlarge": 40,
}

# Where "evening" is for each region: the default time zone of the origin's prime-time schedule.
REGION_TIME_ZONES: dict[str, str] = {
    "af-south-1": "Africa/Johannesburg",
    "ap-east-1": "Asia/Hong_Kong",
    "ap-east-2": "Asia/Taipei",
    "ap-northeast-1": "Asia/Tokyo",
    "ap-northeast-2": "Asia/Seoul",
    "ap-northeast-3": "Asia/Tokyo",
    "ap-south-1": "Asia/Kolkata",
    "ap-south-2": "Asia/Kolkata",
    "ap-southeast-1": "Asia/Singapore",
    "ap-southeast-2": "Australia/Sydney",
    "ap-southeast-3": "Asia/Jakarta",
    "ap-southeast-4": "Australia/Melbourne",
    "ap-southeast-5": "Asia/Kuala_Lumpur",
    "ap-southeast-6": "Pacific/Auckland",
    "ap-southeast-7": "Asia/Bangkok",
    "ca-central-1": "America/Toronto",
    "ca-west-1": "America/Edmonton",
    "eu-central-1": "Europe/Berlin",
    "eu-central-2": "Europe/Zurich",
    "eu-north-1": "Europe/Stockholm",
    "eu-south-1": "Europe/Rome",
    "eu-south-2": "Europe/Madrid",
    "eu-west-1": "Europe/Dublin",
    "eu-west-2": "Europe/London",
    "eu-west-3": "Europe/Paris",
    "il-central-1": "Asia/Jerusalem",
    "me-central-1": "Asia/Dubai",
    "me-south-1": "Asia/Bahrain",
    "mx-central-1": "America/Mexico_City",
    "sa-east-1": "America/Sao_Paulo",
    "us-east-1": "America/New_York",
    "us-east-2": "America/New_York",
    "us-west-1": "America/Los_Angeles",
    "us-west-2": "America/Los_Angeles",
}

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
