"""ECR repositories for the three images (spec §0, §12): scanned, immutable tags, bounded history."""

from aws_cdk import RemovalPolicy
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
                repository_name=f"{prefix}/{service.value}",
                image_scan_on_push=True,
                image_tag_mutability=ecr.TagMutability.IMMUTABLE,
                encryption=ecr.RepositoryEncryption.KMS,
                lifecycle_rules=[
                    ecr.LifecycleRule(
                        description=f"keep the last {keep_images} images", max_image_count=keep_images
                    )
                ],
                removal_policy=RemovalPolicy.RETAIN,
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
