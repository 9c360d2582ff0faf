"""Deploying the national site: what planning costs, and what a one-village update uploads.

    python bench/deploy.py [--write docs/performance.md]

Needs the national site that `python bench/run.py` leaves in bench/out/national/_site (built from
bench/out/national-changed/data). It then:

1. starts an S3 server (moto, in this process, on 127.0.0.1) and fills a bucket with that site as
   a previous `sitegen deploy` would have left it: every file under its key with its digest in its
   metadata, and sitegen's record of the uploads in the cache folder (the bodies are left empty:
   planning reads listings and digests, not bodies);
2. changes one village's rows (one more person covered) and rebuilds: an update;
3. runs `sitegen deploy --gzip` against the bucket as a separate process, and reports the planning
   time (hashing the site, reading the bucket's state, comparing) and the objects and bytes it
   uploads, with the changed downloads apart.

The deploy trusts the record of the previous deploy (the bucket's stamp matches it), as a CI run
with its restored cache does; `--verify`, which lists every object, is not measured here: moto
answers each listing request by sorting every key of the bucket (about 14 minutes for 392,150
objects here, against seconds for S3's 1,000 keys a request in 16 ranges at once).
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from run import OUT, change_one_village  # noqa: E402  (bench/run.py: the national data and its edit)
from sitegen.publish.plan import hash_site, make_plan  # noqa: E402
from sitegen.publish.s3 import STAMP, State, Target, state_path, write_state  # noqa: E402

BUCKET = "national"
EMPTY_ETAG = '"d41d8cd98f00b204e9800998ecf8427e"'  # an empty body's MD5, as S3 and moto give it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fill_bucket(files, hashed, endpoint: str, cache: Path) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    backend.create_bucket(BUCKET, "us-east-1")
    for file in files:
        key = backend.put_object(BUCKET, file.key, b"")
        key.set_metadata({"x-amz-meta-sitegen-digest": file.digest})
    backend.put_object(BUCKET, STAMP, b"previous")
    uploaded = time.time() + 1
    write_state(state_path(cache, Target(BUCKET, ""), endpoint), Target(BUCKET, ""), State(
        "previous", {file.key: (EMPTY_ETAG, file.digest, uploaded) for file in files}, hashed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", type=Path, help="append the results to this Markdown file")
    args = parser.parse_args()
    site, data = OUT / "national" / "_site", OUT / "national-changed" / "data"
    cache = OUT / "cache"
    if not (site / ".sitegen-site").exists() or not (data / "coverage.csv").exists():
        raise SystemExit("run `python bench/run.py` first: it builds the national site this measures")
    from moto.server import ThreadedMotoServer

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    build_command = [sys.executable, "-m", "sitegen.cli", "build", "--data", str(data), "--out", str(site),
                     "--cache-dir", str(cache)]
    try:
        subprocess.run(build_command, cwd=REPO, capture_output=True, check=True)  # the site as this code makes it
        started = time.perf_counter()
        before, hashed = hash_site(site, gzip=True)
        hashing = time.perf_counter() - started
        deploy_cache = OUT / "deploy-cache"
        shutil.rmtree(deploy_cache, ignore_errors=True)
        fill_bucket(before, hashed, endpoint, deploy_cache)

        village = change_one_village(data / "coverage.csv")
        build = subprocess.run(build_command, cwd=REPO, capture_output=True, text=True, check=True)
        after, _ = hash_site(site, gzip=True)
        plan = make_plan(after, {file.key: file.digest for file in before})
        if not plan.uploads:
            raise SystemExit(f"desa {village} changed no file (every row is full): run `python bench/run.py` again")
        downloads = [file for file in plan.uploads if file.key.startswith("unduh/")]

        env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
               "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint}
        started = time.perf_counter()
        deploy = subprocess.run([sys.executable, "-m", "sitegen.cli", "deploy", str(site), "--to", f"s3://{BUCKET}/",
                                 "--gzip", "--cache-dir", str(deploy_cache)], cwd=REPO, env=env, capture_output=True,
                                text=True)
        seconds = time.perf_counter() - started
    finally:
        server.stop()
    if deploy.returncode:
        raise SystemExit(deploy.stdout + deploy.stderr)
    summary = deploy.stdout.strip().splitlines()[-1]
    uploaded = int(re.search(r"uploaded ([\d,]+) file", summary).group(1).replace(",", ""))
    assert uploaded == len(plan.uploads), (summary, len(plan.uploads))
    others = sum(file.size for file in plan.uploads) - sum(file.size for file in downloads)
    sent = re.search(r", ([\d.,]+ [KMG]?B|[\d,]+ bytes) sent\)", summary).group(1)
    sent_others = sum(len(gzip.compress(Path(file.path).read_bytes(), compresslevel=9, mtime=0)) if file.gzip
                      else file.size for file in plan.uploads if not file.key.startswith("unduh/"))
    lines = [
        f"### Deploying the national site ({time.strftime('%Y-%m-%d')}, `python bench/deploy.py`)",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| the site | {len(after):,} files, {sum(f.size for f in after) / 1e9:.2f} GB | |",
        f"| hashing it all (what a deploy of a freshly built folder does) | {hashing:.1f} s | |",
        f"| one-village update (desa {village}): the build | {build.stdout.strip().splitlines()[-1]} | |",
        f"| that update's deploy: objects uploaded | {len(plan.uploads)} ({len(downloads)} of them downloads), "
        f"{len(plan.deletes)} deleted | ≤ 100 |",
        f"| bytes sent besides the changed downloads (`--gzip`) | {sent_others / 1e6:.2f} MB "
        f"({others / 1e6:.2f} MB uncompressed; the downloads: {sum(f.size for f in downloads) / 1e6:.1f} MB; "
        f"all sent: {sent}) | ≤ 5 MB |",
        f"| `sitegen deploy` of that update against a bucket holding the previous build (moto on 127.0.0.1) | "
        f"{seconds:.1f} s in all; planned{summary.split('(planned', 1)[1].rstrip(')')} | planning ≤ 30 s |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        with open(args.write, "a", encoding="utf-8") as file:
            file.write("\n" + text)


if __name__ == "__main__":
    main()
