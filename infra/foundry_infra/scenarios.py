"""The synthesis scenarios the test suites share: the three profiles, a complete and a minimal
example, and issue 6's compute matrix. Importable (a conftest is not), so tests can parametrize on it.
"""

# name -> (environment, --set overrides)
SCENARIOS: dict[str, tuple[str, tuple[str, ...]]] = {
    "dev": ("dev", ()),
    "staging": ("staging", ()),
    "prod": ("prod", ()),
    # The "complete" example: every optional part switched on, in a region other than us-east-1.
    "complete": (
        "prod",
        (
            "region=eu-west-1",
            "edge.domain_name=app.example.com",
            "edge.hosted_zone_id=Z0123456789ABCDEFGHIJ",
            "edge.hosted_zone_name=example.com",
            'edge.geo_allowlist=["DE","FR","US"]',
            "database.proxy=true",
            "database.allow_from_ai=true",
            'auth.authorized_parties=["https://app.example.com"]',
        ),
    ),
    # The "minimal" example: web from the assets bucket, no interface endpoints.
    "minimal": ("dev", ("edge.web_origin=s3", "network.interface_endpoints=[]")),
}

# Issue 6's matrix: {all App Runner, all ECS, mixed} × {GPU off, on} × {dev, prod}. "dev" and "prod"
# above are all-App-Runner without GPU; these are the other ten. They are synthesized in ONE extra
# process (foundry_tools.testing.synth_many, the same `synthesize` and cdk-nag gate as `foundry synth`): after
# the first app, each further one costs about 2 s instead of a new process's 10 s.
ALL_ECS = ("services.web.compute=ecs", "services.api.compute=ecs", "services.ai.compute=ecs")
# dev mixes api on ECS with web and ai on App Runner; prod mixes web and ai on ECS with api on App
# Runner (its VPC connector then calls ai through the internal load balancer).
DEV_MIXED = ("services.api.compute=ecs",)
PROD_MIXED = ("services.web.compute=ecs", "services.ai.compute=ecs")
# dev's GPU path takes every option (Spot, NLB); prod's the defaults (on-demand, no NLB).
DEV_GPU = ("gpu.enabled=true", "gpu.spot=true", "gpu.nlb=true")
PROD_GPU = ("gpu.enabled=true",)
# Issue 18: dev at its cheapest, the NAT instance and the sleep schedule, on App Runner and on ECS.
DEV_LEAN = ("network.nat=instance", "sleep.enabled=true")
MATRIX: dict[str, tuple[str, tuple[str, ...]]] = {
    "dev-gpu": ("dev", DEV_GPU),
    "dev-ecs": ("dev", ALL_ECS),
    "dev-ecs-gpu": ("dev", ALL_ECS + DEV_GPU),
    "dev-mixed": ("dev", DEV_MIXED),
    "dev-mixed-gpu": ("dev", DEV_MIXED + DEV_GPU),
    "prod-gpu": ("prod", PROD_GPU),
    "prod-ecs": ("prod", ALL_ECS),
    "prod-ecs-gpu": ("prod", ALL_ECS + PROD_GPU),
    "prod-mixed": ("prod", PROD_MIXED),
    "prod-mixed-gpu": ("prod", PROD_MIXED + PROD_GPU),
    "dev-lean": ("dev", DEV_LEAN),
    "dev-ecs-lean": ("dev", ALL_ECS + DEV_LEAN),
}
# The matrix by backend, for tests that state one invariant on every backend.
BACKENDS: dict[str, tuple[str, ...]] = {
    "apprunner": ("dev", "prod", "dev-gpu", "prod-gpu"),
    "ecs": ("dev-ecs", "prod-ecs", "dev-ecs-gpu", "prod-ecs-gpu"),
    "mixed": ("dev-mixed", "prod-mixed", "dev-mixed-gpu", "prod-mixed-gpu"),
}
