"""Listing as S3 answers it: ListBuckets, and ListObjects (V1 markers, V2 continuation tokens), with
prefixes, delimiters, url encoding and max-keys."""

import base64
import binascii
import json
import xml.etree.ElementTree as ET
from urllib.parse import quote

from starlette.responses import Response

from foundry_twin.s3.dates import iso_date
from foundry_twin.s3.errors import S3_XMLNS, S3Error, xml_bytes
from foundry_twin.s3.storage import DiskStore, ObjectMeta

MAX_LIST_KEYS = 1000


def list_buckets(store: DiskStore) -> Response:
    """ListBuckets (GET /)."""
    document = ET.Element("ListAllMyBucketsResult", xmlns=S3_XMLNS)
    owner = ET.SubElement(document, "Owner")
    ET.SubElement(owner, "ID").text = "foundry-twin"
    ET.SubElement(owner, "DisplayName").text = "foundry-twin"
    buckets = ET.SubElement(document, "Buckets")
    for name, created in store.list_buckets():
        element = ET.SubElement(buckets, "Bucket")
        ET.SubElement(element, "Name").text = name
        ET.SubElement(element, "CreationDate").text = iso_date(created)
    return Response(xml_bytes(document), media_type="application/xml")


def list_objects(store: DiskStore, *, bucket: str, params: dict[str, str]) -> Response:
    """ListObjects and ListObjectsV2 (GET /BUCKET): prefixes, delimiters, markers and continuation tokens."""
    version_2 = params.get("list-type") == "2"
    prefix, delimiter = params.get("prefix", ""), params.get("delimiter", "")
    url_encoded = params.get("encoding-type") == "url"
    if "encoding-type" in params and not url_encoded:
        raise S3Error(400, "InvalidArgument", "Invalid Encoding Method specified in Request")
    try:
        max_keys = min(int(params.get("max-keys", MAX_LIST_KEYS)), MAX_LIST_KEYS)
    except ValueError:
        max_keys = -1
    if max_keys < 0:
        raise S3Error(400, "InvalidArgument", "Provided max-keys not an integer or within integer range")
    after, skip_prefix = "", ""
    if version_2 and "continuation-token" in params:
        after, skip_prefix = _decode_token(params["continuation-token"])
    elif version_2:
        after = params.get("start-after", "")
    else:
        after = params.get("marker", "")
        if delimiter and after.endswith(delimiter):
            skip_prefix = after

    contents: list[ObjectMeta] = []
    prefixes: list[str] = []
    truncated, last = False, ("", "")
    for meta in store.list_objects(bucket):
        key = meta.key
        if not key.startswith(prefix) or key <= after or (skip_prefix and key.startswith(skip_prefix)):
            continue
        common = ""
        if delimiter:
            cut = key.find(delimiter, len(prefix))
            if cut >= 0:
                common = key[: cut + len(delimiter)]
        if common and prefixes and prefixes[-1] == common:
            continue
        if len(contents) + len(prefixes) >= max_keys:
            truncated = True
            break
        if common:
            prefixes.append(common)
            last = (common, common)
        else:
            contents.append(meta)
            last = (key, "")

    def encoded(value: str) -> str:
        return quote(value, safe="/", errors="surrogateescape") if url_encoded else value

    document = ET.Element("ListBucketResult", xmlns=S3_XMLNS)
    fields: list[tuple[str, str]] = [
        ("Name", bucket),
        ("Prefix", encoded(prefix)),
        ("MaxKeys", str(max_keys)),
        ("IsTruncated", "true" if truncated else "false"),
    ]
    if delimiter:
        fields.append(("Delimiter", encoded(delimiter)))
    if url_encoded:
        fields.append(("EncodingType", "url"))
    if version_2:
        fields.append(("KeyCount", str(len(contents) + len(prefixes))))
        if "continuation-token" in params:
            fields.append(("ContinuationToken", params["continuation-token"]))
        if "start-after" in params:
            fields.append(("StartAfter", encoded(params["start-after"])))
        if truncated:
            fields.append(("NextContinuationToken", _encode_token(*last)))
    else:
        fields.append(("Marker", encoded(params.get("marker", ""))))
        if truncated:
            fields.append(("NextMarker", encoded(last[0])))
    for tag, text in fields:
        ET.SubElement(document, tag).text = text
    for meta in contents:
        element = ET.SubElement(document, "Contents")
        ET.SubElement(element, "Key").text = encoded(meta.key)
        ET.SubElement(element, "LastModified").text = iso_date(meta.last_modified)
        ET.SubElement(element, "ETag").text = meta.etag
        ET.SubElement(element, "Size").text = str(meta.size)
        ET.SubElement(element, "StorageClass").text = "STANDARD"
    for common in prefixes:
        ET.SubElement(ET.SubElement(document, "CommonPrefixes"), "Prefix").text = encoded(common)
    return Response(xml_bytes(document), media_type="application/xml")


def _encode_token(after: str, skip_prefix: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([after, skip_prefix]).encode()).decode()


def _decode_token(token: str) -> tuple[str, str]:
    try:
        after, skip_prefix = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(after), str(skip_prefix)
    except (ValueError, TypeError, binascii.Error):
        raise S3Error(400, "InvalidArgument", "The continuation token provided is incorrect") from None
