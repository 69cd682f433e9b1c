"""Checks of what breaks an environment after a clean deploy (issue 19): placeholders that would
deploy, and the api's database credentials (its own IAM-authenticated role, never the master secret).

Registered in checks.CHECKS; kept apart so checks.py stays one line per group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from foundry_infra.config.placeholders import placeholders

if TYPE_CHECKING:
    from foundry_infra.config.model import EnvironmentConfig

    from foundry_tools.verify.checks import CheckResult
    from foundry_tools.verify.model import EnvironmentModel


def no_deploy_placeholders(m: EnvironmentModel, config: EnvironmentConfig, r: CheckResult) -> None:
    """The same list `foundry deploy` refuses: offline profiles carry them on purpose (DEVIATION)."""
    found = placeholders(config)
    for placeholder in found:
        r.deviate(placeholder.line())
    if not found:
        r.note(
            f"{config.name}: no placeholder values (account {config.account}, issuer {config.auth.clerk_issuer})"
        )
