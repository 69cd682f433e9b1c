"""The launcher's one change to Phoenix: its gRPC receiver on loopback, never on every interface.
(tools/tests/cli/test_trace.py checks the running twin's sockets.)"""

from foundry_twin.trace_backend.launch import loopback_address


def test_wildcard_addresses_become_loopback() -> None:
    assert loopback_address("[::]:4317") == "127.0.0.1:4317"
    assert loopback_address("0.0.0.0:4317") == "127.0.0.1:4317"
    assert loopback_address(":4317") == "127.0.0.1:4317"


def test_a_specific_address_is_kept() -> None:
    assert loopback_address("127.0.0.1:4317") == "127.0.0.1:4317"
    assert loopback_address("[::1]:4317") == "[::1]:4317"
    assert loopback_address("192.0.2.2:4317") == "192.0.2.2:4317"
