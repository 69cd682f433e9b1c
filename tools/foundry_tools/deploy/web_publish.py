"""Publish the web build to the assets bucket (edge.web_origin = s3) so CloudFront serves it.

Order matters: the hashed files under assets/ go first and index.html last, so a browser that loads
the new index.html always finds the files it names; the old hashed files stay (the bucket's
lifecycle rule expires noncurrent versions), so a page loaded just before keeps working.
Cache headers: hashed assets never change (immutable, a year); index.html and any other unhashed
file must be revalidated (no-cache). Then only /index.html (and /, which serves it) is invalidated:
everything else has a new name. CloudFront invalidation paths:
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Invalidation.html
"""

import mimetypes
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foundry_contract import SPA_FALLBACK_DOCUMENT, STATIC_ASSETS_PATTERN

HASHED_PREFIX = STATIC_ASSETS_PATTERN.strip("/*") + "/"  # "assets/"
INDEX = SPA_FALLBACK_DOCUMENT.lstrip("/")  # "index.html"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
INVALIDATED_PATHS = ("/", SPA_FALLBACK_DOCUMENT)


class PublishError(RuntimeError):
    """The build cannot be published; the message says what to do."""


@dataclass(frozen=True, kw_only=True)
class Upload:
    key: str
    cache_control: str
    content_type: str


def plan_uploads(dist: Path) -> list[Upload]:
    """Every file of the build in upload order: hashed assets, other files, index.html last."""
    if not (dist / INDEX).is_file():
        raise PublishError(
            f"{dist}/{INDEX} is missing: build web first (cd services/web && npm run build -- --mode deployed)"
        )
    files = sorted(path.relative_to(dist).as_posix() for path in dist.rglob("*") if path.is_file())

    def rank(key: str) -> tuple[int, str]:
        return (0 if key.startswith(HASHED_PREFIX) else 2 if key == INDEX else 1, key)

    return [
        Upload(
            key=key,
            cache_control=IMMUTABLE if key.startswith(HASHED_PREFIX) else REVALIDATE,
            content_type=mimetypes.guess_type(key)[0] or "application/octet-stream",
        )
        for key in sorted(files, key=rank)
    ]


def publish(*, s3: Any, cloudfront: Any, dist: Path, bucket: str, distribution_id: str) -> list[Upload]:
    """Upload the build in order, then invalidate index.html; returns what was uploaded."""
    uploads = plan_uploads(dist)
    for upload in uploads:
        s3.put_object(
            Bucket=bucket,
            Key=upload.key,
            Body=(dist / upload.key).read_bytes(),
            CacheControl=upload.cache_control,
            ContentType=upload.content_type,
        )
    cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": len(INVALIDATED_PATHS), "Items": list(INVALIDATED_PATHS)},
            "CallerReference": f"foundry-web-{time.time_ns()}",
        },
    )
    return uploads
