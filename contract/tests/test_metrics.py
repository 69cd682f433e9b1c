from foundry_contract import metrics


def test_names_are_cloudwatch_safe() -> None:
    assert metrics.AI_METRICS_NAMESPACE == "Foundry/ai"
    names = [
        metrics.UPSTREAM_REQUESTS,
        metrics.UPSTREAM_ERRORS,
        metrics.UPSTREAM_LATENCY,
        metrics.REJECTED_REQUESTS,
    ]
    assert len(set(names)) == len(names)
    assert all(name.isascii() and name.isalnum() for name in names)


def test_error_codes_are_unique_upper_snake_case() -> None:
    codes = metrics.AI_ERROR_CODES
    assert len(set(codes)) == len(codes)
    assert all(code == code.upper() and " " not in code for code in codes)
