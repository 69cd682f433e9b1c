"""S3's errors, rendered as its XML error document, and the XML every response shares."""

import xml.etree.ElementTree as ET

S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"


class S3Error(Exception):
    """An S3 error: rendered as S3's XML error document (no body for HEAD)."""

    def __init__(self, status: int, code: str, message: str, **fields: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields


def no_such_bucket(bucket: str) -> S3Error:
    return S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket)


def not_implemented(what: str) -> S3Error:
    return S3Error(501, "NotImplemented", f"{what} is not emulated by the local twin's S3")


def xml_bytes(document: ET.Element) -> bytes:
    return bytes(ET.tostring(document, encoding="utf-8", xml_declaration=True))
