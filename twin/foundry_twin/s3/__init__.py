"""A disk-backed S3 emulator for the local twin: uploads survive a restart, and browser uploads meet
S3's real rules (SigV4 header and pre-signed query signatures, expiry, CORS).

Path-style only (`http://127.0.0.1:PORT/BUCKET/KEY`). One access key holds every right; further keys
(`no_list_credentials`, `--no-list-access-key`) may read and write objects but hold no s3:ListBucket,
like the api's role in AWS: a missing key then answers 403 AccessDenied, not 404 NoSuchKey, and
listing or HEAD on the bucket is refused. boto3 works against it
unchanged with `endpoint_url=emulator.endpoint_url`, `signature_version="s3v4"` and
`s3={"addressing_style": "path"}`.

Layout under the root directory, one folder per bucket:

    <bucket>/bucket.json                     name and creation time
    <bucket>/cors.json                       the bucket's CORS rules, when set
    <bucket>/objects/ab/<sha256(key)>.json   sidecar: key, size, ETag, Last-Modified, metadata
    <bucket>/objects/ab/<sha256(key)>.<token>.data   the bytes

A file name never contains the key, so no key (`../`, unicode, NUL) can reach outside the root. The
sidecar is the commit point: the bytes land under a fresh name, then the sidecar is replaced
atomically, so a reader sees the old object or the new one, never a mix.

From Python: `with S3Emulator(root, "AKIA…", "secret") as s3: s3.endpoint_url`. From a shell:
`python -m foundry_twin.s3 --root .foundry/s3 --port 9000 --access-key K --secret-key S`,
which prints `s3 listening on http://127.0.0.1:9000` when ready and exits 0 on SIGTERM or SIGINT.
"""

from foundry_twin.s3.app import S3App
from foundry_twin.s3.cors import CorsRule
from foundry_twin.s3.errors import S3Error
from foundry_twin.s3.server import S3Emulator, main
from foundry_twin.s3.signatures import canonical_request
from foundry_twin.s3.storage import DiskStore
from foundry_twin.serving import PortInUseError

__all__ = [
    "CorsRule",
    "DiskStore",
    "PortInUseError",
    "S3App",
    "S3Emulator",
    "S3Error",
    "canonical_request",
    "main",
]
