"""Checks of what breaks an environment after a clean deploy (issue 19): placeholders that would
deploy, and the api's database credentials (its own IAM-authenticated role, never the master secret).

Registered in checks.CHECKS; kept apart so checks.py stays one line per group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from foundry_contract import API_DATABASE_USER, MIGRATION_RUNNER_ONLY
from foundry_infra.config.placeholders import placeholders

from foundry_tools.verify.results import CheckResult, allows

# Role ids read back from the templates (offline) or the stacks' resource lists (live).
API_ROLE_PREFIX = "ApiRole"
# The RDS-generated master secret's logical id carries this; only the migration runner may read it.
MASTER_SECRET_MARK = "DatabaseInstanceSecret"  # noqa: S105 - a logical-id fragment, not a password
SECRET_READS = ("secretsmanager:GetSecretValue",)

if TYPE_CHECKING:
    from foundry_infra.config.model import EnvironmentConfig
    from foundry_templates.model import EnvironmentModel


def no_deploy_placeholders(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    """The same list `foundry deploy` refuses: offline profiles carry them on purpose (DEVIATION)."""
    found = placeholders(config)
    for placeholder in found:
        r.deviate(placeholder.line())
    if not found:
        r.note(
            f"{config.name}: no placeholder values (account {config.account}, issuer {config.auth.clerk_issuer})"
        )


def api_database_login(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    """api logs in as its own role with IAM (rds-db:connect on one db user) and never sees the master.

    https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.IAMPolicy.html
    """
    api = m.services.get("api")
    if api is None:
        r.fail("no api service")
        return
    handed = MIGRATION_RUNNER_ONLY & (api.secret_env | set(api.plain_env))
    if handed:
        r.fail(f"{api.id}: {sorted(handed)} handed to the api (the migration runner's master secret)")
    if api.plain_env.get("DATABASE_AUTH") != "iam" or api.plain_env.get("DATABASE_USER") != API_DATABASE_USER:
        r.fail(
            f"{api.id}: DATABASE_AUTH={api.plain_env.get('DATABASE_AUTH')!r}, "
            f"DATABASE_USER={api.plain_env.get('DATABASE_USER')!r}; want iam as {API_DATABASE_USER}"
        )
    statements = [s for s in m.statements if any(role.startswith(API_ROLE_PREFIX) for role in s.roles)]
    masters = [secret for secret in m.secrets if MASTER_SECRET_MARK in secret]
    for statement in statements:
        if any(allows(statement.actions, action) for action in SECRET_READS):
            read = [res for res in statement.resources if res == "*" or any(s in res for s in masters)]
            if read:
                r.fail(f"{statement.owner}: the api's role may read the master secret ({read[0][:120]})")
    connects = [
        resource
        for statement in statements
        if allows(statement.actions, "rds-db:connect")
        for resource in statement.resources
    ]
    if len(connects) != 1:
        r.fail(f"api's role has rds-db:connect on {len(connects)} resources; want exactly one db user")
    for resource in connects:
        text = resource.replace("'", "").replace('"', "")
        user = text.rpartition("/")[2].rstrip("]} ")
        if ":dbuser:" not in text or user != API_DATABASE_USER or "*" in text:
            r.fail(f"rds-db:connect resource {resource[:160]} is not the db user {API_DATABASE_USER} alone")
    if r.status.value == "PASS":
        r.note(
            f"{api.id}: IAM login as {API_DATABASE_USER}; rds-db:connect on that db user only; no master secret"
        )
