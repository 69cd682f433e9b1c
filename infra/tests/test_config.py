"""Profiles and overrides: typed, explicit, and loud about mistakes."""

from pathlib import Path

import pytest
from foundry_infra.config import PLACEHOLDER_ACCOUNT, ConfigError, load_config


def test_profiles_follow_the_spec() -> None:
    dev, staging, prod = (load_config(env=name) for name in ("dev", "staging", "prod"))
    assert [c.network.nat_gateways for c in (dev, staging, prod)] == [1, 1, 2]
    assert [c.database.multi_az for c in (dev, staging, prod)] == [False, True, True]
    assert [c.waf.block_introspection for c in (dev, staging, prod)] == [False, True, True]
    assert prod.database.deletion_protection and not dev.database.deletion_protection
    assert {c.account for c in (dev, staging, prod)} == {PLACEHOLDER_ACCOUNT}


def test_set_overrides_parse_by_field_type() -> None:
    config = load_config(
        env="dev",
        overrides=[
            "network.nat_gateways=2",
            "database.engine_version=16.8",
            'edge.geo_allowlist=["DE","US"]',
            "ops.alarm_email=ops@example.com",
            "database.proxy=true",
        ],
    )
    assert config.network.nat_gateways == 2
    assert config.database.engine_version == "16.8"
    assert config.edge.geo_allowlist == ("DE", "US")
    assert config.ops.alarm_email == "ops@example.com"
    assert config.database.proxy is True


def test_toml_file_merges_below_set(tmp_path: Path) -> None:
    path = tmp_path / "override.toml"
    path.write_text('account = "111122223333"\n[database]\ninstance_class = "t4g.large"\nproxy = true\n')
    config = load_config(env="prod", config_file=path, overrides=["database.proxy=false"])
    assert config.account == "111122223333"
    assert config.database.instance_class == "t4g.large"
    assert config.database.proxy is False
    assert config.database.multi_az is True, "untouched keys keep the profile's value"


def test_region_change_moves_the_availability_zones() -> None:
    config = load_config(env="dev", overrides=["region=eu-central-1"])
    assert config.network.availability_zones == ("eu-central-1a", "eu-central-1b")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["nope=1"], "unknown key 'nope'; allowed here: name, account, region"),
        (["database.nope=1"], "unknown key 'database.nope'; allowed here: database.instance_class"),
        (
            ["services.api.cpu=300"],
            "services.api.cpu: Input should be 256, 512, 1024, 2048 or 4096 (got 300)",
        ),
        (["services.ai.compute=lambda"], "Input should be 'apprunner' or 'ecs' (got 'lambda')"),
        (["network.nat_gateways=3"], "network.nat_gateways: Input should be less than or equal to 2"),
        (["database.engine_version=15.4"], "use a PostgreSQL 16.x or 17.x version"),
        (["account=12345"], "account: String should match pattern"),
        (["edge.domain_name=x.example.com"], "domain_name needs hosted_zone_id and hosted_zone_name"),
        (['network.availability_zones=["eu-west-1a","eu-west-1b"]'], "are not in region us-east-1"),
        (["nat_gateways"], "expected dotted.key=value"),
        (["network=1"], "network"),
        (["tracing.sample_ratio=1.5"], "tracing.sample_ratio: Input should be less than or equal to 1"),
        (
            ["tracing.collector_image=public.ecr.aws/aws-observability/aws-otel-collector:latest"],
            "tracing.collector_image: String should match pattern",
        ),
    ],
)
def test_mistakes_name_the_key_and_what_it_accepts(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        load_config(env="dev", overrides=overrides)
    assert message in str(caught.value)


def test_unknown_environment_and_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="choose one of: dev, staging, prod"):
        load_config(env="qa")
    with pytest.raises(ConfigError, match="no such file"):
        load_config(env="dev", config_file=tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[database\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(env="dev", config_file=broken)
    nested = tmp_path / "nested.toml"
    nested.write_text("[database]\ncolour = 'blue'\n")
    with pytest.raises(ConfigError, match=r"unknown key 'database\.colour'"):
        load_config(env="dev", config_file=nested)


@pytest.mark.parametrize("allowlist", ['["DE","FR"]', '["IE","BR"]', '["JP"]'])
def test_a_geo_allowlist_that_blinds_the_health_check_is_refused(allowlist: str) -> None:
    """CloudFront refuses checkers outside the list: with ["DE","FR"] no Route 53 checker could ever
    see the site, and the alarm (missing data = breaching) would fire for good."""
    with pytest.raises(ConfigError) as refused:
        load_config(env="prod", overrides=[f"edge.geo_allowlist={allowlist}"])
    message = str(refused.value)
    assert "health-checker regions" in message and "at least 3" in message
    assert "ops.health_check=false" in message and "US" in message


def test_checker_regions_come_from_the_geo_allowlist() -> None:
    eu_and_us = load_config(env="prod", overrides=['edge.geo_allowlist=["DE","FR","US","IE"]'])
    assert eu_and_us.health_check_regions == ("us-east-1", "us-west-1", "us-west-2", "eu-west-1")
    assert len(load_config(env="prod").health_check_regions) == 8
    unchecked = load_config(env="prod", overrides=['edge.geo_allowlist=["DE"]', "ops.health_check=false"])
    assert unchecked.edge.geo_allowlist == ("DE",)


def test_only_dev_may_accept_query_text() -> None:
    """GRAPHQL_DOCUMENTS: the web app's documents only where real users are (issue 16)."""
    assert {env: load_config(env=env).graphql.documents for env in ("dev", "staging", "prod")} == {
        "dev": "any",
        "staging": "trusted",
        "prod": "trusted",
    }
    assert load_config(env="dev", overrides=["graphql.documents=trusted"]).graphql.documents == "trusted"
    for env in ("staging", "prod"):
        with pytest.raises(ConfigError, match=f"graphql.documents must be trusted in {env}"):
            load_config(env=env, overrides=["graphql.documents=any"])


def test_tracing_samples_everything_in_dev_and_a_share_in_prod() -> None:
    dev, staging, prod = (load_config(env=name) for name in ("dev", "staging", "prod"))
    assert [c.tracing.sample_ratio for c in (dev, staging, prod)] == [1.0, 0.25, 0.05]
    assert all(c.ops.tracing for c in (dev, staging, prod))
