"""Traffic profiles: the monthly usage each environment is assumed to see, scalable and overridable."""

import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path


@dataclass(frozen=True)
class Traffic:
    """Monthly usage. `--scale` multiplies the traffic fields; stored data (the last two) stays put."""

    nat_gb: float
    """GB through the NAT gateways (AI API calls, Clerk JWKS), shared evenly by the gateways."""
    endpoint_gb: float
    """GB through the interface endpoints, shared evenly by them."""
    cloudfront_gb: float
    """GB CloudFront serves to viewers."""
    cloudfront_requests_m: float
    """Millions of viewer requests (WAF inspects each one)."""
    log_gb: float
    """GB ingested by CloudWatch Logs (services, flow logs, database)."""
    s3_gb: float
    """GB stored in S3 (uploads, assets, access logs)."""
    s3_put_k: float
    """Thousands of S3 PUT/LIST requests."""
    s3_get_k: float
    """Thousands of S3 GET requests."""
    apprunner_active_hours: float
    """Instance-hours each App Runner service spends serving requests (billed vCPU on top of memory)."""
    db_backup_gb: float
    """RDS backup storage (PITR + snapshots); only what exceeds the provisioned size is billed."""
    ecr_gb: float
    """GB of images kept in ECR across the repositories."""

    def scaled(self, factor: float) -> "Traffic":
        stored = {"db_backup_gb", "ecr_gb"}
        changes = {
            field.name: getattr(self, field.name) * factor
            for field in fields(self)
            if field.name not in stored
        }
        return replace(self, **changes)


DEFAULTS: dict[str, Traffic] = {
    "dev": Traffic(
        nat_gb=5,
        endpoint_gb=2,
        cloudfront_gb=5,
        cloudfront_requests_m=0.5,
        log_gb=2,
        s3_gb=5,
        s3_put_k=10,
        s3_get_k=50,
        apprunner_active_hours=40,
        db_backup_gb=25,
        ecr_gb=3,
    ),
    "staging": Traffic(
        nat_gb=10,
        endpoint_gb=5,
        cloudfront_gb=20,
        cloudfront_requests_m=2,
        log_gb=5,
        s3_gb=20,
        s3_put_k=50,
        s3_get_k=200,
        apprunner_active_hours=80,
        db_backup_gb=30,
        ecr_gb=3,
    ),
    "prod": Traffic(
        nat_gb=20,
        endpoint_gb=30,
        cloudfront_gb=200,
        cloudfront_requests_m=5,
        log_gb=20,
        s3_gb=100,
        s3_put_k=200,
        s3_get_k=1000,
        apprunner_active_hours=300,
        db_backup_gb=40,
        ecr_gb=3,
    ),
}


class TrafficError(ValueError):
    """A traffic file that cannot be used; the message names the key."""


def load_traffic(env: str, path: Path | None = None, scale: float = 1.0) -> Traffic:
    """The environment's default profile, overridden by a TOML file's keys, then scaled."""
    profile = DEFAULTS.get(env, DEFAULTS["prod"])
    if path is not None:
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise TrafficError(f"cannot read traffic file {path}: {error}") from None
        known = set(asdict(profile))
        for key, value in data.items():
            if key not in known:
                raise TrafficError(
                    f"unknown traffic key {key!r} in {path}; known: {', '.join(sorted(known))}"
                )
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise TrafficError(f"traffic key {key!r} in {path} must be a number >= 0 (got {value!r})")
        profile = replace(profile, **{key: float(value) for key, value in data.items()})
    if scale <= 0:
        raise TrafficError(f"--scale must be > 0 (got {scale})")
    return profile.scaled(scale)
