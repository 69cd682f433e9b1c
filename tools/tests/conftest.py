"""Fixtures the tools' tests share."""

import os
from collections.abc import Iterator

import pytest
from moto import mock_aws

REGION = "us-east-1"


@pytest.fixture
def aws() -> Iterator[None]:
    """moto's AWS for one test, with throw-away credentials; the environment is restored after it.
    (tools/tests/deploy has its own, parametrized by region.)"""
    saved = dict(os.environ)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
    )
    with mock_aws():
        yield
    os.environ.clear()
    os.environ.update(saved)
