import pytest
from foundry_templates.endpoints import endpoint_service


@pytest.mark.parametrize(
    ("service_name", "expected"),
    [
        ("com.amazonaws.us-east-1.s3", "s3"),
        ("com.amazonaws.eu-west-1.ecr.dkr", "ecr.dkr"),
        ({"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".secretsmanager"]]}, "secretsmanager"),
        (
            {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".apprunner.requests"]]},
            "apprunner.requests",
        ),
        ("s3", "s3"),
        (None, "unknown"),
    ],
)
def test_endpoint_service_is_the_part_after_the_region(service_name: object, expected: str) -> None:
    assert endpoint_service(service_name) == expected
