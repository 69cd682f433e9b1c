"""The uploads bucket on the twin's S3 emulator, made as the platform makes the real one."""

import boto3
from botocore.config import Config
from foundry_contract import UPLOAD_CORS_RULE

from foundry_twin.state import LOCAL_REGION


def ensure_uploads_bucket(*, endpoint: str, access_key: str, secret_key: str, bucket: str, site: str) -> None:
    """Creates `bucket` if it is missing and gives it the real bucket's CORS rule (infra
    data/buckets.py, foundry_contract.UPLOAD_CORS_RULE): PUT and GET from `site` only."""
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
    )
    try:
        client.head_bucket(Bucket=bucket)
    except client.exceptions.ClientError:
        client.create_bucket(Bucket=bucket)
    client.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": [site],
                    "AllowedMethods": list(UPLOAD_CORS_RULE.methods),
                    "AllowedHeaders": list(UPLOAD_CORS_RULE.headers),
                    "ExposeHeaders": list(UPLOAD_CORS_RULE.expose),
                    "MaxAgeSeconds": UPLOAD_CORS_RULE.max_age_seconds,
                }
            ]
        },
    )
