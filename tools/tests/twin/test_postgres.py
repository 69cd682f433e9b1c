"""The twin's Postgres runs with the environment's parameter group settings (foundry_contract.postgres);
services/api/tests/core/test_migrate_on_rds_settings.py runs a migration longer than its timeout there."""

import subprocess
import sys

from foundry_infra.config.profiles import PROFILES
from foundry_tools.twin.parts import twin_server_parameters


def test_the_twin_runs_with_dev_s_parameter_group_settings() -> None:
    assert twin_server_parameters() == PROFILES["dev"]().database.server_parameters()
    assert twin_server_parameters()["statement_timeout"] == "15000"


def test_the_twin_s_postgres_settings_import_no_cdk() -> None:
    code = (
        "import sys, foundry_tools.twin.parts as p; p.twin_server_parameters(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'constructs', 'jsii')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
