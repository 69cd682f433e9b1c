"""Resolve an environment's configuration: profile, then a TOML file, then `--set key=value` overrides.

Errors name the offending key and what it accepts, so a typo never silently falls back to a default.
"""

import json
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from foundry_infra.config.model import EnvironmentConfig
from foundry_infra.config.profiles import PROFILES


class ConfigError(ValueError):
    """A configuration the user gave cannot be used; the message says which key and why."""


def load_config(
    *, env: str, config_file: Path | None = None, overrides: Iterable[str] = ()
) -> EnvironmentConfig:
    if env not in PROFILES:
        raise ConfigError(f"unknown environment {env!r}; choose one of: {', '.join(PROFILES)}")
    profile = PROFILES[env]()
    data: dict[str, Any] = profile.model_dump(mode="python")
    if config_file is not None:
        _merge(data, _read_toml(config_file), model=EnvironmentConfig, prefix="")
    for item in overrides:
        key, value = _parse_override(item)
        _set_path(data, key, value)
    if data["region"] != profile.region and data["network"]["availability_zones"] == (
        profile.network.availability_zones
    ):
        # Moving region without naming AZs: take the region's first two rather than fail.
        data["network"]["availability_zones"] = (f"{data['region']}a", f"{data['region']}b")
    if data.get("name") != env:
        raise ConfigError(f"name: the file or --set says {data.get('name')!r} but --env is {env!r}")
    try:
        return EnvironmentConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"--config {path}: no such file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"--config {path}: not valid TOML ({error})") from None


def _merge(target: dict[str, Any], source: Mapping[str, Any], *, model: type[BaseModel], prefix: str) -> None:
    for key, value in source.items():
        field_model = _field_model(model, key, prefix=prefix)
        if field_model is not None and isinstance(value, Mapping):
            _merge(target.setdefault(key, {}), value, model=field_model, prefix=f"{prefix}{key}.")
        else:
            target[key] = value


def _field_model(model: type[BaseModel], key: str, *, prefix: str) -> type[BaseModel] | None:
    if key not in model.model_fields:
        allowed = ", ".join(prefix + name for name in model.model_fields)
        raise ConfigError(f"unknown key '{prefix}{key}'; allowed here: {allowed}")
    annotation = model.model_fields[key].annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _parse_override(item: str) -> tuple[str, Any]:
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {item!r}: expected dotted.key=value, e.g. --set network.nat_gateways=2")
    key = key.strip()
    annotation = _annotation_at(key)
    if raw == "" and _accepts_none(annotation):
        return key, None
    if _is_plain_string(annotation):
        return key, raw
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


def _annotation_at(dotted: str) -> Any:
    model: type[BaseModel] = EnvironmentConfig
    parts = dotted.split(".")
    for index, part in enumerate(parts):
        prefix = ".".join(parts[:index]) + ("." if index else "")
        nested = _field_model(model, part, prefix=prefix)
        if index == len(parts) - 1:
            return model.model_fields[part].annotation
        if nested is None:
            raise ConfigError(f"--set {dotted}: {prefix}{part} is a value, not a section")
        model = nested
    return None


def _accepts_none(annotation: Any) -> bool:
    return type(None) in get_args(annotation)


def _is_plain_string(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return all(_is_plain_string(arg) for arg in get_args(annotation) if arg is not type(None))
    if origin is typing.Annotated:
        return _is_plain_string(get_args(annotation)[0])
    if origin is typing.Literal:
        return all(isinstance(arg, str) for arg in get_args(annotation))
    return annotation is str


def _set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "config"
        shown = item["type"] != "missing" and not isinstance(item.get("input"), Mapping)
        got = f" (got {item['input']!r})" if shown else ""
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}{got}")
    return "invalid configuration:\n  " + "\n  ".join(lines)
