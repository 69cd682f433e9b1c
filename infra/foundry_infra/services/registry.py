"""ECR repositories for the three images (spec §0, §12): scanned, immutable tags, bounded history.

They live in their own stack (stacks/registry.py), deployed before anything that runs an image: the
images must be pushed before App Runner or ECS can start a service from them. The platform stack
refers to them by name (`ImportedRegistry`), so no export ties the two stacks together.
"""

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_ecr as ecr
from constructs import Construct
from foundry_contract import Service


class Registry(Construct):
    def __init__(
        self, scope: Construct, id_: str, *, prefix: str, keep_images: int, manage_registry_scanning: bool
    ) -> None:
        super().__init__(scope, id_)
        self.repositories: dict[Service, ecr.Repository] = {
            service: ecr.Repository(
                self,
                service.value.capitalize(),
                repository_name=repository_names(prefix)[service],
                image_scan_on_push=True,
                image_tag_mutability=ecr.TagMutability.IMMUTABLE,
                encryption=ecr.RepositoryEncryption.KMS,
                lifecycle_rules=[
                    ecr.LifecycleRule(
                        description=f"keep the last {keep_images} images", max_image_count=keep_images
                    )
                ],
                # Kept when the stack is deleted or the resource replaced (the images are the way back),
                # but deleted when the stack's first create rolls back, so a retry does not fail on
                # "already exists": https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk/CfnDeletionPolicy.html
                # (RETAIN_EXCEPT_ON_CREATE).
                removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
            )
            for service in Service
        }
        if manage_registry_scanning:
            # Enhanced scanning (Inspector) is one registry-wide setting per account and region; the
            # profile says which environment owns it (services.ecr_registry_scanning).
            ecr.CfnRegistryScanningConfiguration(
                self,
                "EnhancedScanning",
                scan_type="ENHANCED",
                rules=[
                    ecr.CfnRegistryScanningConfiguration.ScanningRuleProperty(
                        scan_frequency="CONTINUOUS_SCAN",
                        repository_filters=[
                            ecr.CfnRegistryScanningConfiguration.RepositoryFilterProperty(
                                filter=f"{prefix}/*", filter_type="WILDCARD"
                            )
                        ],
                    )
                ],
            )


def repository_names(prefix: str) -> dict[Service, str]:
    """The repository of each image, e.g. foundry/dev/api (also what the deploy workflow pushes to)."""
    return {service: f"{prefix}/{service.value}" for service in Service}


class ImportedRegistry(Construct):
    """The registry stack's repositories, referred to by name and ARN: no cross-stack export."""

    def __init__(self, scope: Construct, id_: str, *, prefix: str) -> None:
        super().__init__(scope, id_)
        stack = Stack.of(self)
        self.repositories: dict[Service, ecr.IRepository] = {
            service: ecr.Repository.from_repository_attributes(
                self,
                service.value.capitalize(),
                repository_name=name,
                repository_arn=stack.format_arn(service="ecr", resource="repository", resource_name=name),
            )
            for service, name in repository_names(prefix).items()
        }
