"""S3 access: clients, a cheap listing, request counting and error classification.

The listing is the only work a no-op cycle does, so it is kept cheap: botocore's generic
XML parser (shape walking, a datetime per key) costs ~0.2 ms of CPU per key, which at
10,000 keys is seconds per cycle on a 0.25-vCPU task. A ``before-parse`` hook reads the
ListObjectsV2 page with ElementTree instead, keeps the four fields we use, and hands
botocore an empty result to parse. If the hook cannot read a page it leaves it alone and
the ordinary parse is used (``parsed_with`` tells which).

Every GetObject response carries a ``Last-Modified`` header, which botocore parses with
dateutil (~0.1 ms each); the client's parser is given :func:`parse_timestamp`, which reads
the two forms S3 sends with the standard library and hands anything else to botocore.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import unquote_plus

AUTH_ERROR_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidToken",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "TokenRefreshRequired",
        "AuthFailure",
    }
)
FAST_PAGE = "DagSyncPage"
_EMPTY_RESULT = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ListBucketResult>'
)


@dataclass(frozen=True, slots=True)
class Remote:
    """One object of the listing."""

    etag: str
    size: int
    last_modified: str  # ISO 8601 as S3 sent it


class RequestCounter:
    """Counts HTTP requests (retries included) a client sends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def __call__(self, **_kwargs) -> None:
        with self._lock:
            self.value += 1


def make_clients(workers: int):
    """(s3, counter, session): an S3 client sized for ``workers`` parallel downloads.

    Endpoint, region and credentials come from the standard chain (``AWS_ENDPOINT_URL``,
    the ECS task role, ...): nothing here is specific to any emulator.
    """
    import boto3
    import botocore.session
    from botocore.config import Config as BotoConfig

    core = botocore.session.get_session()
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_timestamp)
    session = boto3.session.Session(botocore_session=core)
    config = BotoConfig(
        retries={"mode": "standard", "total_max_attempts": 3},
        max_pool_connections=workers + 4,
        connect_timeout=5,
        read_timeout=30,
        tcp_keepalive=True,
        user_agent_extra="airflow-dag-sync",
    )
    s3 = session.client("s3", config=config)
    counter = RequestCounter()
    s3.meta.events.register("before-send.s3", counter)
    s3.meta.events.register("before-parse.s3.ListObjectsV2", _fast_list_page)
    return s3, counter, session


def parse_timestamp(value):
    """A timezone-aware datetime for an S3 timestamp: RFC 1123 (``Last-Modified`` headers) and
    ISO 8601 (XML bodies) with the standard library, anything else with botocore's parser."""
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value) if value[0].isdigit() else parsedate_to_datetime(value)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    from botocore.utils import parse_timestamp as botocore_parse

    return botocore_parse(value)


def _fast_list_page(response_dict, customized_response_dict, **_kwargs) -> None:
    if response_dict.get("status_code") != 200:
        return
    try:
        customized_response_dict[FAST_PAGE] = parse_list_page(response_dict["body"])
    except (ET.ParseError, KeyError, TypeError, ValueError):
        return
    response_dict["body"] = _EMPTY_RESULT


def parse_list_page(body: bytes) -> tuple[list[tuple[str, str, int, str]], bool, str | None, bool]:
    """(contents [(key, etag, size, last_modified)], truncated, next token, url-encoded)."""
    root = ET.fromstring(body)  # noqa: S314 - response from S3 over TLS
    if not root.tag.endswith("ListBucketResult"):
        raise ValueError(root.tag)
    ns = root.tag[: -len("ListBucketResult")]
    t_contents, t_key, t_etag, t_size, t_lm = (
        ns + n for n in ("Contents", "Key", "ETag", "Size", "LastModified")
    )
    contents = []
    truncated = False
    token = None
    encoded = False
    for child in root:
        tag = child.tag
        if tag == t_contents:
            key = etag = last_modified = None
            size = -1
            for field in child:
                ftag = field.tag
                if ftag == t_key:
                    key = field.text or ""
                elif ftag == t_etag:
                    etag = field.text or ""
                elif ftag == t_size:
                    size = int(field.text)
                elif ftag == t_lm:
                    last_modified = field.text or ""
            if key is None or etag is None or size < 0:
                raise ValueError("incomplete Contents element")
            contents.append((key, etag, size, last_modified or ""))
        elif tag == ns + "IsTruncated":
            truncated = (child.text or "").strip().lower() == "true"
        elif tag == ns + "NextContinuationToken":
            token = child.text
        elif tag == ns + "EncodingType":
            encoded = (child.text or "") == "url"
    return contents, truncated, token, encoded


def list_prefix(s3, bucket: str, prefix: str, page_size: int = 1000) -> tuple[dict[str, Remote], int]:
    """Every object under ``prefix``: ({key relative to prefix: Remote}, pages).

    The whole listing is read before anything is returned: a failure on any page raises,
    so a partial listing can never be taken for the truth.
    """
    objects: dict[str, Remote] = {}
    token = None
    pages = 0
    cut = len(prefix)
    while True:
        params = {"Bucket": bucket, "Prefix": prefix, "EncodingType": "url", "MaxKeys": page_size}
        if token:
            params["ContinuationToken"] = token
        page = s3.list_objects_v2(**params)
        pages += 1
        fast = page.get(FAST_PAGE)
        if fast is not None:
            contents, truncated, token, encoded = fast
        else:  # botocore's own parse (timestamps as datetimes, keys still url-encoded)
            contents = [
                (c["Key"], c["ETag"], c["Size"], _iso(c.get("LastModified")))
                for c in page.get("Contents", [])
            ]
            truncated, token = page.get("IsTruncated", False), page.get("NextContinuationToken")
            encoded = page.get("EncodingType") == "url"
        for key, etag, size, last_modified in contents:
            if encoded:
                key = unquote_plus(key)
            objects[key[cut:]] = Remote(etag, size, last_modified)
        if not truncated:
            break
        if not token:
            raise RuntimeError("truncated listing without a continuation token")
    return objects, pages


def _iso(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None


def is_auth_error(exc: BaseException) -> bool:
    """Invalid, unknown or expired credentials (not a permission problem: AccessDenied retries)."""
    from botocore.exceptions import NoCredentialsError, PartialCredentialsError

    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return True
    return error_code(exc) in AUTH_ERROR_CODES
