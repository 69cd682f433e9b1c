"""The Content-Security-Policy CloudFront and the twin send (foundry_contract.edge) admits the URLs
the api pre-signs for uploads, in us-east-1 (S3's legacy global name) and elsewhere."""

from urllib.parse import urlsplit

import pytest
from foundry_api.core.storage import ObjectStore
from foundry_contract import content_security_policy, uploads_origins


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_the_csp_admits_the_urls_the_api_presigns(region: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The browser PUTs and GETs where botocore's pre-signed URLs point; a CSP that named another
    host would block every upload."""
    # Pre-signing is local (SigV4 over the URL): any key signs, nothing is sent.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    bucket = f"foundry-prod-uploads-123456789012-{region}"
    store = ObjectStore(bucket=bucket, region=region, url_ttl_seconds=60)
    policy = content_security_policy(
        uploads=uploads_origins(bucket=bucket, region=region), clerk_frontend_api=None
    )
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    for url in (
        store.presign_put(key="uploads/u/x", content_type="text/plain", size=1).url,
        store.presign_get(key="uploads/u/x", filename="x.txt"),
    ):
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        assert origin in directives["connect-src"].split(), (origin, policy)
        assert origin in directives["img-src"].split()
