from foundry_ai.upstream.errors import HTTP_STATUS, ErrorCode
from foundry_contract.metrics import AI_ERROR_CODES


def test_error_codes_are_the_contracts() -> None:
    assert {code.value for code in ErrorCode} == set(AI_ERROR_CODES)


def test_every_code_maps_to_a_server_error_status() -> None:
    assert set(HTTP_STATUS) == set(ErrorCode)
    assert all(500 <= status < 600 for status in HTTP_STATUS.values())
