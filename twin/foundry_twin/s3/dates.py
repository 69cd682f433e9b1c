"""Times as S3 writes them: HTTP dates (Last-Modified) and ISO 8601 with milliseconds (XML)."""

from datetime import UTC, datetime
from email.utils import formatdate


def http_date(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)


def iso_date(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
