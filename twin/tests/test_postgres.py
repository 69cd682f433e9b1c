"""The twin's Postgres runs with the environment's parameter group settings (foundry_contract.postgres);
services/api/tests/core/test_migrate_on_rds_settings.py runs a migration longer than its timeout there,
and infra/tests/test_data.py proves dev's profile (and its parameter group) yields exactly these."""

from foundry_contract.postgres import server_parameters
from foundry_twin.parts import twin_server_parameters


def test_the_twin_runs_with_the_contract_s_parameter_group_settings() -> None:
    assert twin_server_parameters() == server_parameters()
    assert twin_server_parameters()["statement_timeout"] == "15000"


def test_free_ports_are_distinct_bindable_and_outside_avoid() -> None:
    import socket

    from foundry_twin.postgres import free_ports

    first = free_ports(40)
    assert len(set(first)) == 40
    second = free_ports(40, avoid=frozenset(first))
    assert len(set(second)) == 40 and not set(second) & set(first)
    for port in second[:5]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # free once chosen: nothing holds it
