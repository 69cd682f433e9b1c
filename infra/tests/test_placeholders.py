"""The placeholder list: every profile's reserved values are found, real values pass."""

import pytest
from foundry_infra.config import PLACEHOLDER_ACCOUNT, load_config
from foundry_infra.config.placeholders import is_reserved_name, placeholders

REAL_PROD = [
    "account=111122223333",
    "edge.domain_name=app.acme-corp.com",
    "edge.hosted_zone_id=Z08123456ABCDEFGHIJK",
    "edge.hosted_zone_name=acme-corp.com",
    "auth.clerk_issuer=https://clerk.acme-corp.com",
    'auth.authorized_parties=["https://app.acme-corp.com"]',
    "ops.alarm_email=oncall@acme-corp.com",
    "delivery.github_repo=acme-corp/foundry",
]


@pytest.mark.parametrize(
    ("name", "reserved"),
    [
        ("foundry.example", True),
        ("clerk.foundry.invalid", True),
        ("example.com", True),
        ("mail.example.org", True),
        ("localhost", True),
        ("app.test", True),
        ("acme-corp.com", False),
        ("notexample.com", False),
        ("example.community", False),
    ],
)
def test_reserved_names(name: str, reserved: bool) -> None:
    assert is_reserved_name(name) is reserved


def test_prod_profile_lists_every_placeholder_key() -> None:
    found = placeholders(load_config(env="prod"))
    assert [p.key for p in found] == [
        "account",
        "edge.domain_name",
        "edge.hosted_zone_name",
        "edge.hosted_zone_id",
        "auth.clerk_issuer",
        "ops.alarm_email",
        "delivery.github_repo",
    ]
    assert all(p.fix and p.key in p.line() and "\n" not in p.line() for p in found)


def test_real_values_leave_none_and_each_placeholder_alone_is_caught() -> None:
    assert placeholders(load_config(env="prod", overrides=REAL_PROD)) == []
    for broken, key in (
        ("auth.clerk_issuer=https://clerk.foundry.invalid", "auth.clerk_issuer"),
        (
            'auth.authorized_parties=["https://app.acme-corp.com","https://app.example.com"]',
            "auth.authorized_parties",
        ),
        ("ops.alarm_email=someone@example.com", "ops.alarm_email"),
        ("delivery.github_repo=universal-ai-foundry/foundry", "delivery.github_repo"),
        (f"account={PLACEHOLDER_ACCOUNT}", "account"),
    ):
        found = placeholders(load_config(env="prod", overrides=[*REAL_PROD, broken]))
        assert [p.key for p in found] == [key], broken
