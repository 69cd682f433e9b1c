"""A failed first create leaves nothing behind that blocks the retry (issue 20): no resource with a
fixed physical name is plain `Retain`, which would survive the create's rollback and make the retry
fail with "already exists". Such resources use RETAIN_ON_UPDATE_OR_DELETE (RetainExceptOnCreate):
https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk/CfnDeletionPolicy.html"""

import json
from pathlib import Path
from typing import Any

import pytest
from foundry_infra.scenarios import MATRIX, SCENARIOS
from foundry_templates import SynthesizedEnvironment as Synth

# Properties that fix a resource's physical name (one per account and region, or account-wide).
NAME_PROPERTIES = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::Backup::BackupVault": "BackupVaultName",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::IAM::OIDCProvider": "Url",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::KMS::Alias": "AliasName",
}


def blocking_retained(resources: dict[str, Any]) -> list[str]:
    """Named resources a failed create would leave behind: '<logical id> (<type>)'."""
    return [
        f"{logical_id} ({resource['Type']})"
        for logical_id, resource in sorted(resources.items())
        if resource.get("DeletionPolicy") == "Retain"
        and NAME_PROPERTIES.get(resource["Type"]) in resource.get("Properties", {})
    ]


def _resources(synth: Synth) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in sorted(Path(synth.out_dir).glob("*.template.json")):
        found.update(json.loads(path.read_text()).get("Resources", {}))
    return found


@pytest.mark.parametrize("scenario", sorted({**SCENARIOS, **MATRIX}))
def test_no_named_resource_survives_a_failed_create(synths: dict[str, Synth], scenario: str) -> None:
    resources = _resources(synths[scenario])
    assert blocking_retained(resources) == []
    kept = [key for key, value in resources.items() if value.get("DeletionPolicy") == "RetainExceptOnCreate"]
    assert kept, "the retained named resources are RetainExceptOnCreate"


def test_the_check_catches_a_named_bucket_that_is_plain_retain(dev: Synth) -> None:
    resources = _resources(dev)
    (uploads,) = [
        key
        for key in resources
        if key.startswith("BucketsUploads") and resources[key]["Type"] == "AWS::S3::Bucket"
    ]
    broken = {**resources, uploads: {**resources[uploads], "DeletionPolicy": "Retain"}}
    assert blocking_retained(broken) == [f"{uploads} (AWS::S3::Bucket)"]
    # Unnamed retained resources (the logs bucket, the KMS keys) get a fresh name on the retry.
    assert all(
        NAME_PROPERTIES.get(v["Type"]) not in v.get("Properties", {})
        for k, v in resources.items()
        if v.get("DeletionPolicy") == "Retain"
    )
