"""`sitegen deploy`: put a built site into a bucket, sending only the files whose bytes changed.

    hash the site → list the bucket → plan → upload resources, data, pages → delete what is gone

Like `hugo deploy`, it compares content, not times: each object keeps its digest in its
metadata. Uploads go in stages (upload_stage), and deletions come last, so a reader meets the
old site or the new one, never a page whose stylesheet or chart bundle is missing. Every step
can be repeated: a deploy stopped half-way is finished by running it again.
"""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, TypeVar

from ..output.writer import MARKER, journal_path
from ..system import Busy, hold_lock
from .plan import LocalFile, Plan, hash_site, make_plan
from .s3 import Bucket, DeployError, Record, State, Stored, Target, read_state, state_path, write_state

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_MAX_DELETES = 256   # as hugo deploy's maxDeletes: more needs --max-deletes
LIST_RANGE = 10_000         # keys a listing thread covers
DELETE_BATCH = 1000         # keys one DeleteObjects request takes


@dataclass
class Deployed:
    plan: Plan
    seconds: float
    planning_seconds: float
    dry_run: bool
    steps: dict[str, float]   # seconds of the planning's steps: hashing, listing, heads
    heads: int                # objects whose digest had to be read from their metadata
    listed: bool              # whether the bucket was listed (else the record of the last deploy was enough)
    sent: int = 0             # bytes sent (compressed where --gzip compressed them)


def deploy(site: Path, target: Target, *, endpoint_url: str | None = None, region: str | None = None,
           cache_dir: Path | None = None, dry_run: bool = False, max_deletes: int = DEFAULT_MAX_DELETES,
           jobs: int = 16, gzip: bool = False, verify: bool = False,
           on_plan: Callable[[Plan], None] | None = None,
           on_uploaded: Callable[[LocalFile], None] | None = None) -> Deployed:
    started = time.perf_counter()
    check_site(site)
    try:
        lock = hold_lock(site.parent / f".{site.name}.sitegen-lock")  # (a build must not rewrite it meanwhile)
    except Busy:
        raise DeployError(f"a sitegen build is writing {site} right now; deploy when it has finished") from None
    try:
        bucket = Bucket(target, endpoint_url, region, connections=jobs)
        bucket.check()
        state_file = state_path(cache_dir, target, bucket.endpoint) if cache_dir else None
        state = read_state(state_file) if state_file else State()
        steps = {"hashing": time.perf_counter()}
        local, state.files = hash_site(site, min(jobs, 2 * (os.cpu_count() or 2)), state.files, gzip)
        try:
            steps["listing"] = time.perf_counter()
            stamp = bucket.read_stamp()
            # The record of this machine's last deploy here is what the bucket holds, unless another
            # deploy finished here since (its stamp differs) or --verify asks to look at every object.
            listed = verify or not state.deploy or stamp != state.deploy
            stored = list_bucket(bucket, [file.key for file in local], jobs) if listed else None
            steps["heads"] = time.perf_counter()
            if listed:
                remote, state.objects, heads = stored_digests(bucket, stored, state.objects, jobs)
            else:
                remote, heads = {key: record[1] for key, record in state.objects.items()}, 0
            steps["end"] = time.perf_counter()
            plan = make_plan(local, remote)
            planned = time.perf_counter() - started
            steps = {name: steps[after] - steps[name] for name, after in zip(steps, list(steps)[1:])}
            if not dry_run and 0 <= max_deletes < len(plan.deletes):
                raise DeployError(too_many_deletes(plan, target, max_deletes))
            if on_plan:
                on_plan(plan)
            if dry_run:
                return Deployed(plan, time.perf_counter() - started, planned, True, steps, heads, listed)
            sent = upload_and_delete(bucket, plan, state.objects, jobs, on_uploaded)
            if plan.uploads or plan.deletes or stamp != state.deploy or not stamp:
                state.deploy = uuid.uuid4().hex
                bucket.write_stamp(state.deploy)
        finally:
            if state_file:
                try:
                    write_state(state_file, target, state)
                except OSError:
                    pass  # (only a cost: the next deploy lists the bucket and reads what it cannot find recorded)
    finally:
        lock.release()
    return Deployed(plan, time.perf_counter() - started, planned, False, steps, heads, listed, sent)


def upload_and_delete(bucket: Bucket, plan: Plan, known: dict[str, Record], jobs: int,
                      on_uploaded: Callable[[LocalFile], None] | None) -> int:
    """Carry the plan out, stage by stage, recording in `known` each object as it is done; returns
    the bytes sent."""
    sent = 0
    for stage in plan.stages():
        for file, (etag, when, size) in parallel(jobs, lambda file: (file, bucket.upload(file)), stage):
            known[file.key] = (etag, file.digest, when)
            sent += size
            if on_uploaded:
                on_uploaded(file)
    for batch in chunks(plan.deletes, DELETE_BATCH):
        bucket.delete(batch)
        for key in batch:
            known.pop(key, None)
    return sent


def check_site(site: Path) -> None:
    if not site.is_dir():
        raise DeployError(f"{site} is not a folder: build the site first (sitegen build --out {site})")
    if not (site / MARKER).is_file():
        raise DeployError(f"{site} was not built by sitegen (it has no {MARKER} file): deploy the folder "
                          f"`sitegen build` writes (default _site)")
    if journal_path(site).exists():
        raise DeployError(f"an update of {site} was interrupted: run `sitegen build` again before deploying")


def too_many_deletes(plan: Plan, target: Target, max_deletes: int) -> str:
    return (f"this deploy would delete {len(plan.deletes):,} objects from {target}, more than --max-deletes "
            f"{max_deletes} allows (is it the right target, and the whole site?). Look at the plan with --dry-run; "
            f"if it is right, run again with --max-deletes {len(plan.deletes)} (or -1 for no limit). "
            f"Nothing was changed.")


def list_bucket(bucket: Bucket, local_keys: list[str], jobs: int) -> dict[str, Stored]:
    """Every object under the target's prefix. A large bucket is listed in key ranges at once, cut
    at the site's own keys (every LIST_RANGE-th), so that 392,150 objects take seconds, not minutes."""
    cuts = local_keys[LIST_RANGE::LIST_RANGE]
    ranges = list(zip([None, *cuts], [*cuts, None]))
    found: dict[str, Stored] = {}
    for part in parallel(jobs, lambda bounds: bucket.list_range(*bounds), ranges):
        found.update(part)
    return found


def stored_digests(bucket: Bucket, stored: dict[str, Stored], known: dict[str, Record],
                   jobs: int) -> tuple[dict[str, str | None], dict[str, Record], int]:
    """The digest of each object in the bucket: from the record of what this machine uploaded when
    the object is still the one recorded (same ETag, not modified since), else from the object's
    own metadata (one HEAD each: objects uploaded elsewhere, changed in place, or by a deploy that
    stopped before it could record them)."""
    digests: dict[str, str | None] = {}
    current: dict[str, Record] = {}
    unknown = []
    for key, item in stored.items():
        record = known.get(key)
        if record is not None and record[0] == item.etag and item.modified <= record[2]:
            digests[key] = record[1]
            current[key] = (item.etag, record[1], item.modified)
        else:
            unknown.append(key)
    for key, head in parallel(jobs, lambda key: (key, bucket.stored_digest(key)), unknown):
        if head is None:
            continue  # deleted since the listing
        etag, digest = head
        digests[key] = digest
        if digest and etag == stored[key].etag:
            current[key] = (etag, digest, stored[key].modified)
    return digests, current, len(unknown)


def parallel(jobs: int, work: Callable[[T], R], items: Iterable[T]) -> Iterable[R]:
    """work(item) for every item on `jobs` threads, results in the caller's thread as they finish. At
    most a few per thread are queued, and the first failure cancels the rest and is raised."""
    pending: set[Future] = set()
    with ThreadPoolExecutor(jobs) as pool:
        try:
            for item in items:
                pending.add(pool.submit(work, item))
                if len(pending) >= jobs * 4:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (future.result() for future in done)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in done)
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def chunks(items: list[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
