"""The one list of configuration values that synthesize fine but must never deploy.

The profiles carry reserved names (RFC 2606 and RFC 6761: `.example`, `.invalid`, `.test`,
`.localhost`, example.com/net/org) and a placeholder account so `foundry synth` runs offline with no
account. Deployed, they break or orphan the environment: a Clerk issuer under `.invalid` has no JWKS to
fetch, so api answers every request 503; an example.com alarm address pages nobody; a delivery
repository nobody owns either cannot deploy or lets a stranger's workflow assume the deploy role.

`placeholders(config)` names each one with the key and how to set it. `foundry preflight` and
`foundry deploy` refuse while any remain; `foundry verify` reports them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from foundry_infra.config.model import (
    PLACEHOLDER_ACCOUNT,
    PLACEHOLDER_CLERK_ISSUER,
    PLACEHOLDER_GITHUB_REPO,
    PLACEHOLDER_ZONE_ID,
    EnvironmentConfig,
)

RESERVED_SUFFIXES = (".example", ".invalid", ".test", ".localhost")
RESERVED_DOMAINS = frozenset({"example.com", "example.net", "example.org", "localhost"})


def is_reserved_name(host: str) -> bool:
    """A DNS name that can never be anyone's (RFC 2606 §2-3, RFC 6761 §6)."""
    name = host.lower().rstrip(".")
    return (
        name in RESERVED_DOMAINS
        or name.endswith(RESERVED_SUFFIXES)
        or any(name.endswith(f".{domain}") for domain in RESERVED_DOMAINS)
        or name.lstrip(".") in {suffix.lstrip(".") for suffix in RESERVED_SUFFIXES}
    )


def _url_host(url: str) -> str:
    return urlsplit(url).hostname or url


@dataclass(frozen=True, kw_only=True)
class Placeholder:
    key: str
    value: str
    fix: str

    def line(self) -> str:
        return f"{self.key} = {self.value!r} is a placeholder: {self.fix}"


def _account(config: EnvironmentConfig) -> list[Placeholder]:
    if config.account != PLACEHOLDER_ACCOUNT:
        return []
    return [
        Placeholder(
            key="account",
            value=config.account,
            fix='set the 12-digit AWS account id with --set account=ACCOUNT_ID or account = "..." in --config',
        )
    ]


def _domain(config: EnvironmentConfig) -> list[Placeholder]:
    edge, found = config.edge, []
    if edge.domain_name and is_reserved_name(edge.domain_name):
        found.append(
            Placeholder(
                key="edge.domain_name",
                value=edge.domain_name,
                fix='set your domain, e.g. edge.domain_name = "app.yourcompany.com" in a --config file '
                "(with edge.hosted_zone_id and edge.hosted_zone_name of its Route 53 public zone)",
            )
        )
    if edge.hosted_zone_name and is_reserved_name(edge.hosted_zone_name):
        found.append(
            Placeholder(
                key="edge.hosted_zone_name",
                value=edge.hosted_zone_name,
                fix="set the name of the Route 53 public zone that holds edge.domain_name",
            )
        )
    if edge.hosted_zone_id == PLACEHOLDER_ZONE_ID:
        found.append(
            Placeholder(
                key="edge.hosted_zone_id",
                value=edge.hosted_zone_id,
                fix="set that zone's id (aws route53 list-hosted-zones-by-name --dns-name ZONE)",
            )
        )
    return found


def _auth(config: EnvironmentConfig) -> list[Placeholder]:
    found = []
    issuer = config.auth.clerk_issuer
    if issuer == PLACEHOLDER_CLERK_ISSUER or is_reserved_name(_url_host(issuer)):
        found.append(
            Placeholder(
                key="auth.clerk_issuer",
                value=issuer,
                fix="set your Clerk instance's Frontend API URL (Clerk dashboard, API keys), e.g. "
                "--set auth.clerk_issuer=https://clerk.yourcompany.com; its JWKS must be reachable",
            )
        )
    for party in config.auth.authorized_parties:
        if is_reserved_name(_url_host(party)):
            found.append(
                Placeholder(
                    key="auth.authorized_parties",
                    value=party,
                    fix="list the origins your users sign in from, e.g. "
                    'auth.authorized_parties = ["https://app.yourcompany.com"] in a --config file',
                )
            )
    return found


def _ops(config: EnvironmentConfig) -> list[Placeholder]:
    email = config.ops.alarm_email
    if email is None or not is_reserved_name(email.rpartition("@")[2]):
        return []
    return [
        Placeholder(
            key="ops.alarm_email",
            value=email,
            fix="set a monitored address with --set ops.alarm_email=oncall@yourcompany.com (it must "
            "confirm the SNS subscription)",
        )
    ]


def _delivery(config: EnvironmentConfig) -> list[Placeholder]:
    if config.delivery.github_repo != PLACEHOLDER_GITHUB_REPO:
        return []
    return [
        Placeholder(
            key="delivery.github_repo",
            value=config.delivery.github_repo,
            fix="set the owner/name of the GitHub repository that deploys this environment, e.g. "
            "--set delivery.github_repo=yourorg/foundry (its OIDC tokens may assume the deploy role)",
        )
    ]


PLACEHOLDER_RULES: tuple[Callable[[EnvironmentConfig], list[Placeholder]], ...] = (
    _account,
    _domain,
    _auth,
    _ops,
    _delivery,
)


def placeholders(config: EnvironmentConfig) -> list[Placeholder]:
    """Every placeholder left in `config`, in a stable order; empty when it may deploy."""
    return [found for rule in PLACEHOLDER_RULES for found in rule(config)]
