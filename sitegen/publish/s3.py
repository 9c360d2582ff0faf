"""The bucket side of a deploy: listing, reading digests, uploading and deleting, through boto3.

Every failure of the storage service becomes a DeployError whose message says what to do; the
endpoint, region and credentials come from the usual AWS settings (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ~/.aws), so R2, MinIO and
Google Cloud Storage's S3 interface work as well as S3.
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import boto3.exceptions
import botocore.exceptions
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from ..system import replace_atomically
from .plan import LocalFile, cache_control, content_type

DIGEST_KEY = "sitegen-digest"   # the object's metadata entry (x-amz-meta-sitegen-digest)
MULTIPART_FROM = 64 << 20        # larger files go up in parts (the 290 MB national CSV)
PAGE_SIZE = 1000                 # keys per listing request (the most S3 returns)
STATE_FORMAT = 3
STAMP = ".sitegen-deploy"         # under the prefix: the id of the last finished deploy
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.\-_]{1,253}[a-z0-9]")
CREDENTIAL_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken",
                    "AuthorizationHeaderMalformed", "InvalidClientTokenId", "403", "Forbidden"}
MISSING_BUCKET_CODES = {"NoSuchBucket", "404", "NotFound"}
MISSING_OBJECT_CODES = {"NoSuchKey", "404", "NotFound"}
# Stores that do not take S3's multi-object delete as boto3 sends it (older MinIO and Ceph want a
# Content-MD5; GCS has no multi-object delete): objects are then deleted one by one.
NO_BATCH_DELETE_CODES = {"NotImplemented", "MissingContentMD5", "InvalidRequest"}


class DeployError(Exception):
    """A deploy that cannot go on; the message names the cause and what to do."""


@dataclass(frozen=True)
class Target:
    bucket: str
    prefix: str   # "" (the bucket's root) or a folder ending in "/"

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def parse_target(text: str) -> Target:
    """s3://BUCKET/ or s3://BUCKET/PREFIX (a trailing "/" is added to the prefix)."""
    match = re.fullmatch(r"s3://([^/]+)/?(.*)", text.strip())
    if not match:
        raise DeployError(f"{text!r} is not a target such as s3://BUCKET/ or s3://BUCKET/PREFIX")
    bucket, prefix = match.groups()
    if not BUCKET_NAME.fullmatch(bucket):
        raise DeployError(f"{bucket!r} is not a bucket name (3-255 lower-case letters, digits, '.', '-', '_')")
    prefix = prefix.strip("/")
    if prefix and any(part in ("", ".", "..") for part in prefix.split("/")):
        raise DeployError(f"the prefix {prefix!r} has an empty, '.' or '..' folder")
    return Target(bucket, f"{prefix}/" if prefix else "")


@dataclass(frozen=True)
class Stored:
    size: int
    etag: str
    modified: float   # LastModified, seconds since the epoch


class Bucket:
    """One target folder in one bucket, reached through one thread-safe boto3 client."""

    def __init__(self, target: Target, endpoint_url: str | None = None, region: str | None = None,
                 connections: int = 16):
        self.target = target
        config = Config(
            retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=10, read_timeout=120,
            max_pool_connections=connections,
            # Not every S3-compatible store takes the CRC trailers boto3 adds by default since 1.36.
            request_checksum_calculation="when_required", response_checksum_validation="when_required")
        with storage_errors(self.describe(endpoint_url)):
            try:
                self.client = boto3.session.Session(region_name=region or None).client(
                    "s3", endpoint_url=endpoint_url or None, config=config)
            except ValueError as exc:  # botocore's "Invalid endpoint: ..."
                raise DeployError(f"{exc}: give the storage's address with its scheme, e.g. "
                                  f"https://<account>.r2.cloudflarestorage.com") from None
        self.endpoint = self.client.meta.endpoint_url
        self.transfer = TransferConfig(multipart_threshold=MULTIPART_FROM, multipart_chunksize=MULTIPART_FROM,
                                       max_concurrency=4)

    def describe(self, endpoint: str | None = None) -> str:
        where = endpoint or getattr(self, "endpoint", None)
        return f"{self.target}" + (f" at {where}" if where else "")

    def errors(self, during: str = ""):
        return storage_errors(self.describe(), self.target.bucket, during)

    def check(self) -> None:
        """Fail early, before anything is read or sent, when the bucket or the credentials are wrong
        (a listing, not HeadBucket: GCS's object roles may list objects but not read the bucket)."""
        with self.errors():
            self.client.list_objects_v2(Bucket=self.target.bucket, Prefix=self.target.prefix, MaxKeys=1)

    def list_range(self, after: str | None, until: str | None) -> dict[str, Stored]:
        """The objects whose keys (after the prefix) sort after `after` and up to `until`."""
        prefix = self.target.prefix
        request = {"Bucket": self.target.bucket, "Prefix": prefix, "MaxKeys": PAGE_SIZE}
        if after is not None:
            request["StartAfter"] = prefix + after
        found: dict[str, Stored] = {}
        with self.errors():
            while True:
                answer = self.client.list_objects_v2(**request)
                for item in answer.get("Contents", ()):
                    key = item["Key"][len(prefix):]
                    if until is not None and key > until:
                        return found
                    if key != STAMP:
                        found[key] = Stored(item["Size"], item["ETag"], item["LastModified"].timestamp())
                if not answer.get("IsTruncated"):
                    return found
                request.pop("StartAfter", None)
                request["ContinuationToken"] = answer["NextContinuationToken"]

    def fetch(self, method, key: str) -> dict | None:
        """The answer of head_object or get_object for one key under the prefix; None if there is no such object."""
        with self.errors():
            try:
                return method(Bucket=self.target.bucket, Key=self.target.prefix + key)
            except botocore.exceptions.ClientError as exc:
                if error_code(exc) in MISSING_OBJECT_CODES:
                    return None
                raise

    def stored_digest(self, key: str) -> tuple[str, str | None] | None:
        """(ETag, digest) of one object from its metadata; None if it is gone."""
        head = self.fetch(self.client.head_object, key)
        return None if head is None else (head["ETag"], head.get("Metadata", {}).get(DIGEST_KEY))

    def upload(self, file: LocalFile) -> tuple[str, float, int]:
        """Put one file with its headers and digest (gzip-compressed if the plan says so); returns the
        object's new ETag, a time no earlier than its LastModified (the answer's Date), and the bytes sent."""
        headers = {"ContentType": content_type(file.key), "CacheControl": cache_control(file.key),
                   "Metadata": {DIGEST_KEY: file.digest}}
        key = self.target.prefix + file.key
        with self.errors("uploading " + file.key):
            if file.gzip:
                with open(file.path, "rb") as source:
                    body = gzip.compress(source.read(), compresslevel=9, mtime=0)
                answer = self.client.put_object(Bucket=self.target.bucket, Key=key, Body=body,
                                                ContentEncoding="gzip", **headers)
                return answer["ETag"], answered_at(answer), len(body)
            if file.size < MULTIPART_FROM:
                with open(file.path, "rb") as body:
                    answer = self.client.put_object(Bucket=self.target.bucket, Key=key, Body=body, **headers)
                return answer["ETag"], answered_at(answer), file.size
            self.client.upload_file(file.path, self.target.bucket, key, ExtraArgs=headers, Config=self.transfer)
            head = self.client.head_object(Bucket=self.target.bucket, Key=key)
            return head["ETag"], head["LastModified"].timestamp(), file.size

    def read_stamp(self) -> str | None:
        """The id of the last deploy that finished in this folder, as it wrote it."""
        answer = self.fetch(self.client.get_object, STAMP)
        if answer is None:
            return None
        with self.errors():
            return answer["Body"].read().decode("utf-8", "replace").strip()

    def write_stamp(self, deploy_id: str) -> None:
        with self.errors("finishing"):
            self.client.put_object(Bucket=self.target.bucket, Key=self.target.prefix + STAMP,
                                   Body=deploy_id.encode(), ContentType="text/plain; charset=utf-8",
                                   CacheControl="no-store")

    def delete(self, keys: list[str]) -> None:
        """Delete up to 1,000 objects in one request (one by one where the store has no such request)."""
        with self.errors("deleting"):
            try:
                answer = self.client.delete_objects(Bucket=self.target.bucket, Delete={
                    "Objects": [{"Key": self.target.prefix + key} for key in keys], "Quiet": True})
            except botocore.exceptions.ClientError as exc:
                if error_code(exc) not in NO_BATCH_DELETE_CODES:
                    raise
                for key in keys:
                    self.client.delete_object(Bucket=self.target.bucket, Key=self.target.prefix + key)
                return
        failed = answer.get("Errors") or []
        if failed:
            first = failed[0]
            raise DeployError(f"{self.describe()}: {len(failed)} object(s) could not be deleted, e.g. "
                              f"{first.get('Key')}: {first.get('Code')} {first.get('Message', '')}".rstrip())


def error_code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def answered_at(answer: dict) -> float:
    date = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:  # (a Date has whole seconds, a LastModified may have milliseconds of the same second)
        return email.utils.parsedate_to_datetime(date).timestamp() + 1
    except (TypeError, ValueError):
        return 0.0  # (no usable Date: the record is not trusted, and the next deploy reads the digest)


@contextlib.contextmanager
def storage_errors(where: str, bucket: str = "", during: str = ""):
    """Turn the storage service's failures into a DeployError that says what to do."""
    again = " Nothing is lost: run the same command again to finish the deploy." if during else ""
    context = f" while {during}" if during else ""
    try:
        try:
            yield
        except boto3.exceptions.S3UploadFailedError as exc:  # a multipart upload wraps the real failure
            if isinstance(exc.__context__, botocore.exceptions.BotoCoreError | botocore.exceptions.ClientError):
                raise exc.__context__ from None
            raise DeployError(f"{where}{context}: {exc}.{again}") from None
    except (botocore.exceptions.NoCredentialsError, botocore.exceptions.PartialCredentialsError) as exc:
        raise DeployError(f"no credentials for {where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                          f"(or AWS_PROFILE) in the environment ({exc})") from None
    except botocore.exceptions.ClientError as exc:
        code, message = error_code(exc), exc.response.get("Error", {}).get("Message") or str(exc)
        if code in MISSING_BUCKET_CODES and not during:
            raise DeployError(f"the bucket {bucket!r} does not exist at {where}: create it first "
                              f"(sitegen never creates buckets), or check the name and AWS_ENDPOINT_URL") from None
        if code in CREDENTIAL_CODES:
            raise DeployError(f"{where} refused the credentials{context} ({code}: {message}): check "
                              f"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and that they may read, write "
                              f"and delete in this bucket.{again}") from None
        raise DeployError(f"{where}{context}: {code}: {message}.{again}") from None
    except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionError,
            botocore.exceptions.HTTPClientError, botocore.exceptions.ConnectTimeoutError,
            botocore.exceptions.ReadTimeoutError) as exc:
        raise DeployError(f"could not reach {where}{context}: {exc}.{again}") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise DeployError(f"{where}{context}: {exc}.{again}") from None


# What sitegen knows of the objects in the bucket: key -> (ETag, digest, time). An object whose
# listed ETag is the recorded one and that was not modified after the recorded time holds what the
# record says (the time catches a copy that changed only the headers, which keeps the ETag); any
# other object's digest is read from its metadata. Kept in the cache folder, so that a deploy lists
# the bucket but does not ask for 392,150 heads.

def state_path(cache_dir: Path, target: Target, endpoint: str) -> Path:
    name = hashlib.sha256(f"{endpoint}\0{target}".encode()).hexdigest()[:16]
    return cache_dir / "deploy" / f"{name}.json.gz"


Record = tuple[str, str, float]          # ETag, digest, time
Hashed = tuple[int, int, int, str]       # size, mtime_ns, inode, content hash of a local file


@dataclass
class State:
    deploy: str = ""                                          # the last deploy this machine finished here
    objects: dict[str, Record] = field(default_factory=dict)  # what the bucket holds, as far as known
    files: dict[str, Hashed] = field(default_factory=dict)    # the site's files as last hashed


def read_state(path: Path) -> State:
    try:
        stored = json.loads(gzip.decompress(path.read_bytes()))
        if stored.get("format") != STATE_FORMAT:
            return State()
        return State(str(stored["deploy"]),
                     {key: (str(etag), str(digest), float(when)) for key, (etag, digest, when) in stored["objects"].items()},
                     {key: (int(size), int(mtime), int(inode), str(content))
                      for key, (size, mtime, inode, content) in stored["files"].items()})
    except Exception:  # noqa: BLE001 - a damaged record only costs a listing and a HEAD per object
        return State()


def write_state(path: Path, target: Target, state: State) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps({"format": STATE_FORMAT, "target": str(target), "deploy": state.deploy,
                       "objects": dict(sorted(state.objects.items())), "files": dict(sorted(state.files.items()))},
                      separators=(",", ":")).encode()
    replace_atomically(path, gzip.compress(data, compresslevel=1, mtime=0))
