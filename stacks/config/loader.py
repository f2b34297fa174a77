"""Merge overrides into the defaults, validate, and report errors naming the setting."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from stacks.config.base import ConfigError, FieldError
from stacks.config.defaults import DEFAULTS
from stacks.config.environment import EnvironmentConfig
from stacks.names import ENVIRONMENT_NAMES


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _format(env: str, error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        parts = [env, *(str(part) for part in item["loc"])]
        message = item["msg"].removeprefix("Value error, ")
        ctx_error = (item.get("ctx") or {}).get("error")
        if isinstance(ctx_error, FieldError):
            parts.append(ctx_error.field)
            message = ctx_error.message
        lines.append(f"{'.'.join(parts)}: {message}")
    return "; ".join(lines)


def _as_mapping(value: Any, source: str) -> Mapping[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: must be a JSON object keyed by environment name")
    unknown = sorted(set(value) - set(ENVIRONMENT_NAMES))
    if unknown:
        raise ConfigError(f"{source}: unknown environment(s) {unknown}; expected some of {list(ENVIRONMENT_NAMES)}")
    for env, body in value.items():
        if not isinstance(body, Mapping):
            raise ConfigError(f"{source}: {env} must be a JSON object")
    return value


def load_config(*, config_file: str | Path | None = None, overrides: Any = None) -> dict[str, EnvironmentConfig]:
    """Build and validate every environment's configuration."""
    layers: list[Mapping[str, Any]] = []
    if config_file is not None:
        path = Path(config_file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"config_file {str(path)!r}: cannot be read ({exc.strerror})") from None
        layers.append(_as_mapping(text, f"config_file {str(path)!r}"))
    if overrides is not None:
        layers.append(_as_mapping(overrides, "overrides"))

    result: dict[str, EnvironmentConfig] = {}
    for env in ENVIRONMENT_NAMES:
        raw = {"name": env, **DEFAULTS[env]}
        for layer in layers:
            raw = _merge(raw, layer.get(env, {}))
        try:
            result[env] = EnvironmentConfig.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(f"Invalid Showrunner configuration: {_format(env, exc)}") from None
    return result
