"""One architecture story (issue 20): which CPU each backend runs our images on, and so which
platforms the deploy workflow must build.

- App Runner runs linux/amd64 (x86-64) images only (the shared reference, aws-behaviour.md, and the
  source-image page):
  https://docs.aws.amazon.com/apprunner/latest/dg/service-source-image.html
- A Fargate task runs on the CPU its task definition's RuntimePlatform names, and an ARM64 task
  cannot run an amd64-only image (exec format error), so its image needs a linux/arm64 variant:
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-arm-specifying.html

Every Fargate task definition of ours (the ECS services and the migration runner) takes its CPU from
`services.ecs_cpu_architecture`; the workflow (.github/workflows/deploy.yml) builds every image for
`IMAGE_PLATFORMS`, and infra/tests/test_architecture.py ties the two together on every scenario.
The GPU task runs the public vLLM image on x86_64 GPU instances (g5/g6), which we do not build.
"""

from aws_cdk import aws_ecs as ecs

from foundry_infra.config.model import CpuArchitecture, EnvironmentConfig

# The Docker platform of each CPU architecture as CloudFormation spells it (RuntimePlatform.CpuArchitecture).
DOCKER_PLATFORM: dict[str, str] = {"ARM64": "linux/arm64", "X86_64": "linux/amd64"}
APP_RUNNER_PLATFORM = "linux/amd64"


def cpu_architecture(architecture: CpuArchitecture) -> ecs.CpuArchitecture:
    """The CDK value of a configured architecture."""
    return ecs.CpuArchitecture.ARM64 if architecture == "arm64" else ecs.CpuArchitecture.X86_64


def fargate_runtime_platform(architecture: CpuArchitecture) -> ecs.RuntimePlatform:
    return ecs.RuntimePlatform(
        cpu_architecture=cpu_architecture(architecture),
        operating_system_family=ecs.OperatingSystemFamily.LINUX,
    )


def required_platforms(config: EnvironmentConfig) -> set[str]:
    """The Docker platforms our images need in this environment: amd64 for App Runner, and the
    Fargate architecture for ECS services and the migration runner (which always runs on Fargate)."""
    fargate = DOCKER_PLATFORM["ARM64" if config.services.ecs_cpu_architecture == "arm64" else "X86_64"]
    platforms = {fargate}
    if config.services.on("apprunner"):
        platforms.add(APP_RUNNER_PLATFORM)
    return platforms
