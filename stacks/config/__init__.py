"""Typed, validated configuration for every Showrunner environment.

Defaults live in ``DEFAULTS`` below. Users override them without editing
code, through CDK context:

* ``-c config_file=path/to/overrides.json``: a JSON file shaped like
  ``{"dev": {"origin": {"max_capacity": 6}}, "prod": {...}}``;
* ``-c overrides='{"dev": {"alarm_email": "ops@example.com"}}'``: the same
  shape inline (or as an object under ``context.overrides`` in ``cdk.json``).

Overrides are merged into the defaults key by key (objects merge, every other
value replaces), and the result is validated as a whole. Any bad value stops
synth with one ``ConfigError`` that names the setting, e.g.
``dev.origin.min_capacity: Input should be greater than or equal to 0``.
"""

from stacks.config.analytics import AnalyticsConfig, EmrSettings, StreamSettings
from stacks.config.api import ApiConfig
from stacks.config.base import ConfigError, available_time_zones, known_regions
from stacks.config.catalog import CatalogConfig
from stacks.config.defaults import DEFAULTS
from stacks.config.edge import PLACEHOLDER_PUBLIC_KEY, REPO_ROOT, EdgeConfig
from stacks.config.environment import EnvironmentConfig, Retention
from stacks.config.ingest import AudioSettings, IngestConfig, Rung
from stacks.config.loader import load_config
from stacks.config.network import NatConfig
from stacks.config.operations import (
    AlarmThresholds,
    BudgetSettings,
    BusinessHours,
    ChaosMonkeySettings,
    OperationsConfig,
)
from stacks.config.origin import OriginCapacity, PrimeTime
from stacks.config.personalization import PersonalizationConfig
from stacks.config.playback import PlaybackConfig
from stacks.config.reference import (
    CLOUDWATCH_RETENTION_DAYS,
    INTERFACE_ENDPOINT_SERVICES,
    REGION_TIME_ZONES,
    T4G_BASELINE_PERCENT,
    WEEKDAYS,
)
from stacks.names import ENVIRONMENT_NAMES, SIGNING_KEY_BITS

__all__ = [
    "CLOUDWATCH_RETENTION_DAYS",
    "DEFAULTS",
    "ENVIRONMENT_NAMES",
    "INTERFACE_ENDPOINT_SERVICES",
    "PLACEHOLDER_PUBLIC_KEY",
    "REGION_TIME_ZONES",
    "REPO_ROOT",
    "SIGNING_KEY_BITS",
    "T4G_BASELINE_PERCENT",
    "WEEKDAYS",
    "AlarmThresholds",
    "AnalyticsConfig",
    "ApiConfig",
    "AudioSettings",
    "BudgetSettings",
    "BusinessHours",
    "CatalogConfig",
    "ChaosMonkeySettings",
    "ConfigError",
    "EdgeConfig",
    "EmrSettings",
    "EnvironmentConfig",
    "IngestConfig",
    "NatConfig",
    "OperationsConfig",
    "OriginCapacity",
    "PersonalizationConfig",
    "PlaybackConfig",
    "PrimeTime",
    "Retention",
    "Rung",
    "StreamSettings",
    "available_time_zones",
    "known_regions",
    "load_config",
]
