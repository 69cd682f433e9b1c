"""Per-environment configuration: typed models, the dev/staging/prod profiles and their overrides."""

from foundry_infra.config.loading import ConfigError, load_config
from foundry_infra.config.model import (
    PLACEHOLDER_ACCOUNT,
    DatabaseConfig,
    EdgeConfig,
    EnvironmentConfig,
    NetworkConfig,
    ServiceConfig,
    ServicesConfig,
)
from foundry_infra.config.profiles import PROFILES

__all__ = [
    "PLACEHOLDER_ACCOUNT",
    "PROFILES",
    "ConfigError",
    "DatabaseConfig",
    "EdgeConfig",
    "EnvironmentConfig",
    "NetworkConfig",
    "ServiceConfig",
    "ServicesConfig",
    "load_config",
]
