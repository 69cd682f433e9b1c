"""The PostgreSQL server settings of an environment, in one place.

The RDS parameter group (infra/foundry_infra/data/database.py) sets exactly these, and the local
twin's Postgres (twin/foundry_twin/postgres.py) starts with the same `-c` settings, so a
statement the server default would cancel on RDS is cancelled in the twin too. A parameter group's
value is the server default for every session, migrations included, unless the session overrides it:
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithParamGroups.html
"""

# The defaults every profile starts from (database.* in the environment config).
STATEMENT_TIMEOUT_MS = 15_000
IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000
LOG_MIN_DURATION_MS = 500


def server_parameters(
    *,
    statement_timeout_ms: int = STATEMENT_TIMEOUT_MS,
    idle_in_transaction_timeout_ms: int = IDLE_IN_TRANSACTION_TIMEOUT_MS,
    log_min_duration_ms: int = LOG_MIN_DURATION_MS,
) -> dict[str, str]:
    """Parameter name -> value, as both the parameter group and `postgres -c` take them."""
    return {
        "statement_timeout": str(statement_timeout_ms),
        "idle_in_transaction_session_timeout": str(idle_in_transaction_timeout_ms),
        "log_min_duration_statement": str(log_min_duration_ms),
    }
