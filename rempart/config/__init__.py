"""Configuration: one TOML file, validated once into frozen values."""

from __future__ import annotations

from rempart.config.load import build_config, default_config_text, load_config
from rempart.config.schema import DEFAULT_CONFIG_PATH, Config, Escalation, JailConfig, SourceConfig

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "Config",
    "Escalation",
    "JailConfig",
    "SourceConfig",
    "build_config",
    "default_config_text",
    "load_config",
]
