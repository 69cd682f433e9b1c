"""moto's AWS for the deploy steps' tests, in each test module's REGION, with credentials that are not real."""

from collections.abc import Iterator

import pytest
from moto import mock_aws


@pytest.fixture
def aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", request.module.REGION)
    with mock_aws():
        yield
