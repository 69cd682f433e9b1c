"""The payload's integrity as S3 checks it: x-amz-content-sha256, Content-MD5 and x-amz-checksum-*."""

import base64
import binascii
import hashlib
import hmac
import zlib

from starlette.requests import Request

from foundry_twin.s3.errors import S3Error


def verify_payload(body: bytes, claimed_sha256: str | None, request: Request) -> None:
    verify_digests(
        request,
        claimed_sha256=claimed_sha256,
        sha256=hashlib.sha256(body).digest(),
        md5=hashlib.md5(body, usedforsecurity=False).digest(),
        sha1=hashlib.sha1(body, usedforsecurity=False).digest(),
        crc32=zlib.crc32(body).to_bytes(4, "big"),
    )


def verify_digests(
    request: Request, *, claimed_sha256: str | None, sha256: bytes, md5: bytes, sha1: bytes, crc32: bytes
) -> None:
    if claimed_sha256 is not None and not hmac.compare_digest(claimed_sha256, sha256.hex()):
        raise S3Error(
            400,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ClientComputedContentSHA256=claimed_sha256,
            S3ComputedContentSHA256=sha256.hex(),
        )
    content_md5 = request.headers.get("content-md5")
    if content_md5 is not None:
        try:
            claimed_md5 = base64.b64decode(content_md5, validate=True)
        except binascii.Error:
            raise S3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.") from None
        if claimed_md5 != md5:
            raise S3Error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
    # CRC32C and CRC64NVME need native code; those checksums are accepted unverified.
    for algorithm, digest in (("crc32", crc32), ("sha1", sha1), ("sha256", sha256)):
        claimed = request.headers.get(f"x-amz-checksum-{algorithm}")
        if claimed is not None and claimed != base64.b64encode(digest).decode():
            raise S3Error(
                400,
                "BadDigest",
                f"The {algorithm.upper()} you specified did not match the calculated checksum.",
            )
