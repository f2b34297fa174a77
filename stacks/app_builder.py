"""Builds the whole Showrunner app: one Stage per environment, checked by cdk-nag."""

from __future__ import annotations

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from stacks import compliance
from stacks.config import ENVIRONMENT_NAMES, EnvironmentConfig, load_config
from stacks.stage import ShowrunnerStage


def configs_from_context(app: App) -> dict[str, EnvironmentConfig]:
    """Load the environment configs, applying ``config_file``/``overrides`` context."""
    return load_config(
        config_file=app.node.try_get_context("config_file"),
        overrides=app.node.try_get_context("overrides"),
    )


def build_app(app: App, configs: dict[str, EnvironmentConfig] | None = None) -> dict[str, ShowrunnerStage]:
    """Add every environment's stage to ``app`` and register cdk-nag on it."""
    configs = configs if configs is not None else configs_from_context(app)
    stages = {name: ShowrunnerStage(app, configs[name]) for name in ENVIRONMENT_NAMES}
    compliance.apply(app)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stages
