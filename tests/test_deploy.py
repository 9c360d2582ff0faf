"""`sitegen deploy` against a real S3 server: moto in server mode on 127.0.0.1, started here.

The bundled site and the national sample go up, change and come back: a second deploy sends
nothing, a one-village change sends exactly the files whose bytes changed, a deleted article's
files are deleted, a dry run changes nothing, and the failures a user meets (no bucket, wrong or
missing credentials, the network gone half-way) say what to do and leave a state the same
command finishes. A desa page served from the bucket loads in Chromium with its charts.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import http.server
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from sitegen.cli import main
from sitegen.output.writer import MARKER
from sitegen.publish import deploy as deploy_module
from sitegen.publish import s3 as s3_module
from sitegen.publish.hosts import HOSTS, over_limits
from sitegen.publish.plan import IMMUTABLE, SHORT, cache_control, content_type, upload_stage
from sitegen.publish.s3 import STAMP

from conftest import copy_bundled_inputs, write_site
from test_national import move_person, national_files


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_moto(extra_env: dict | None = None):
    port = free_port()
    env = {**os.environ, **(extra_env or {})}
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("moto server did not start")


@pytest.fixture(scope="module")
def s3_server():
    process, endpoint = start_moto()
    yield endpoint
    process.terminate()
    process.wait(10)


@pytest.fixture
def aws(monkeypatch, s3_server, tmp_path):
    """Credentials and endpoint as a user sets them, and nothing from this machine's ~/.aws."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": s3_server,
                        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
                        "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    return boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")


@pytest.fixture
def bucket(aws) -> str:
    name = f"site-{uuid.uuid4().hex[:12]}"
    aws.create_bucket(Bucket=name)
    return name


def build(root: Path, *extra: str) -> Path:
    result = CliRunner().invoke(main, ["build", "--data", str(root / "data"), "--content", str(root / "content"),
                                       "--templates", str(root / "templates"), "--assets", str(root / "assets"),
                                       "--out", str(root / "_site"), *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "_site"


@pytest.fixture
def bundled(tmp_path) -> Path:
    """A work folder with the bundled site's inputs, built."""
    root = copy_bundled_inputs(tmp_path / "work")
    build(root)
    return root


def deploy(site: Path, target: str, *extra: str, cache: Path | None = None):
    cache = cache or site.parent / ".deploy-cache"
    return CliRunner().invoke(main, ["deploy", str(site), "--to", target, "--cache-dir", str(cache), *extra],
                              catch_exceptions=False)


def counts(output: str) -> tuple[int, int, int]:
    """(uploaded, deleted, unchanged) from the summary line."""
    match = re.search(r"uploaded ([\d,]+) file\(s\) .*?, deleted ([\d,]+), ([\d,]+) unchanged", output)
    assert match, output
    return tuple(int(n.replace(",", "")) for n in match.groups())


def site_digests(site: Path) -> dict[str, str]:
    return {path.relative_to(site).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in site.rglob("*") if path.is_file() and not path.name.startswith(".")}


def bucket_digests(client, bucket: str, prefix: str) -> dict[str, str]:
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", ()):
            if item["Key"] == prefix + STAMP:
                continue
            body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            found[item["Key"][len(prefix):]] = hashlib.sha256(body).hexdigest()
    return found


def bucket_etags(client, bucket: str, prefix: str = "") -> dict[str, str]:
    return {item["Key"]: item["ETag"]
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", ()) if not item["Key"].endswith(STAMP)}


def test_first_deploy_uploads_the_site_and_a_second_uploads_nothing(aws, bucket, bundled):
    site = bundled / "_site"
    first = deploy(site, f"s3://{bucket}/jamsostek")
    assert first.exit_code == 0, first.output
    local = site_digests(site)
    assert counts(first.output) == (len(local), 0, 0)
    assert bucket_digests(aws, bucket, "jamsostek/") == local  # every byte of every file, nothing else

    second = deploy(site, f"s3://{bucket}/jamsostek/")
    assert second.exit_code == 0, second.output
    assert counts(second.output) == (0, 0, len(local))

    # Without the record of the first deploy (another machine, a CI runner without its cache), the
    # digests come from each object's metadata: still nothing to send.
    third = deploy(site, f"s3://{bucket}/jamsostek/", cache=bundled / "another-cache")
    assert counts(third.output) == (0, 0, len(local))


def test_objects_are_served_with_their_type_and_cache_lifetime(aws, bucket, bundled):
    site = bundled / "_site"
    assert deploy(site, f"s3://{bucket}/").exit_code == 0  # the bucket's root
    page = aws.head_object(Bucket=bucket, Key="index.html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert page["CacheControl"] == SHORT
    stylesheet = next(p for p in (site / "assets").iterdir() if p.suffix == ".css").name
    css = aws.head_object(Bucket=bucket, Key=f"assets/{stylesheet}")
    assert css["ContentType"] == "text/css; charset=utf-8" and css["CacheControl"] == IMMUTABLE
    csv = aws.head_object(Bucket=bucket, Key="unduh/cakupan.csv")
    assert csv["ContentType"] == "text/csv; charset=utf-8" and csv["CacheControl"] == SHORT
    assert aws.head_object(Bucket=bucket, Key="unduh/data.zip")["ContentType"] == "application/zip"
    assert len(page["Metadata"]["sitegen-digest"]) == 64
    assert content_type("a/b.unknown") == "application/octet-stream"
    fingerprinted = {p.name for p in (site / "assets").iterdir() if cache_control(f"assets/{p.name}") == IMMUTABLE}
    assert fingerprinted == {p.name for p in (site / "assets").iterdir() if p.suffix in (".css", ".js")}
    assert len(fingerprinted) == 6  # style, charts, search, site, embed, vega; not icon.svg, nor a site's own photo
    assert cache_control("assets/photo.2024010112.jpg") == SHORT


def small_site(root: Path, files: dict[str, bytes]) -> Path:
    for key, data in {MARKER: b"", **files}.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)
    return root


def test_resources_go_up_before_data_and_pages_and_deletions_come_last(aws, bucket, tmp_path, monkeypatch):
    for stale in ("old/index.html", "assets/style.0000000000.css"):
        aws.put_object(Bucket=bucket, Key=stale, Body=b"old")
    site = small_site(tmp_path / "_site", {
        "index.html": b"<p>home", "desa/a/index.html": b"<p>a", "feed.xml": b"<feed/>",
        "api/a.json": b"{}", "unduh/a.csv": b"a,b\n", "assets/style.0123456789.css": b"p{}",
        "assets/charts.0123456789.js": b"1", "assets/icon.svg": b"<svg/>"})
    calls = []
    upload, delete = s3_module.Bucket.upload, s3_module.Bucket.delete
    monkeypatch.setattr(s3_module.Bucket, "upload", lambda self, file: (calls.append(("upload", file.key)),
                                                                       upload(self, file))[1])
    monkeypatch.setattr(s3_module.Bucket, "delete", lambda self, keys: (calls.append(("delete", tuple(keys))),
                                                                        delete(self, keys))[1])
    deploy_module.deploy(site, s3_module.parse_target(f"s3://{bucket}/"), cache_dir=tmp_path / "cache", jobs=4)
    order = [upload_stage(key) if kind == "upload" else 3 for kind, key in calls]
    assert order == sorted(order) and set(order) == {0, 1, 2, 3}
    assert {key for kind, key in calls if kind == "upload" and upload_stage(key) == 0} == {
        "assets/style.0123456789.css", "assets/charts.0123456789.js", "assets/icon.svg"}
    assert calls[-1] == ("delete", ("assets/style.0000000000.css", "old/index.html"))


def test_a_large_bucket_is_listed_in_ranges_and_large_files_go_up_in_parts(aws, bucket, tmp_path, monkeypatch):
    monkeypatch.setattr(deploy_module, "LIST_RANGE", 4)   # ranges cut at every 4th key of the site
    monkeypatch.setattr(s3_module, "PAGE_SIZE", 3)        # and each range read 3 keys a request
    monkeypatch.setattr(s3_module, "MULTIPART_FROM", 5 << 20)  # (5 MiB: S3's smallest part)
    files = {f"desa/{i:02d}/index.html": f"<p>{i}".encode() for i in range(23)}
    files["unduh/cakupan.csv"] = b"x" * (6 << 20)
    site = small_site(tmp_path / "_site", files)
    cuts = sorted(files)[4::4]
    strays = [*cuts[:2], "desa/00a", "desa/99/index.html", "zzz"]  # at the cuts, between and after them
    for key in ["site/" + key for key in strays] + ["sitemap.xml", "sites/other.html"]:
        aws.put_object(Bucket=bucket, Key=key, Body=b"stray")
    target = s3_module.parse_target(f"s3://{bucket}/site")
    done = deploy_module.deploy(site, target, cache_dir=tmp_path / "cache", jobs=4, max_deletes=-1)
    assert len(done.plan.uploads) == len(files) and done.plan.deletes == ["desa/00a", "desa/99/index.html", "zzz"]
    assert set(bucket_etags(aws, bucket)) == {f"site/{key}" for key in files} | {"sitemap.xml", "sites/other.html"}
    large = aws.head_object(Bucket=bucket, Key="site/unduh/cakupan.csv")
    assert "-" in large["ETag"]  # a multipart upload's ETag: no MD5 of the content
    assert large["ContentType"] == "text/csv; charset=utf-8" and len(large["Metadata"]["sitegen-digest"]) == 64
    again = deploy_module.deploy(site, target, cache_dir=tmp_path / "cache", jobs=4)
    assert (len(again.plan.uploads), again.plan.deletes, again.heads, again.listed) == (0, [], 0, False)
    listed = deploy_module.deploy(site, target, cache_dir=tmp_path / "cache", jobs=4, verify=True)
    assert (len(listed.plan.uploads), listed.plan.deletes, listed.heads, listed.listed) == (0, [], 0, True)
    fresh = deploy_module.deploy(site, target, cache_dir=tmp_path / "other-cache", jobs=4)
    assert (len(fresh.plan.uploads), fresh.heads) == (0, len(files))  # digests read from the metadata


def test_gzip_stores_text_compressed_and_downloads_as_they_are(aws, bucket, bundled):
    import gzip

    site = bundled / "_site"
    plain = deploy(site, f"s3://{bucket}/")
    assert plain.exit_code == 0
    result = deploy(site, f"s3://{bucket}/", "--gzip")
    uploaded, _, unchanged = counts(result.output)
    compressible = [key for key in site_digests(site) if key.endswith((".html", ".json", ".js", ".css", ".xml",
                                                                       ".svg", ".txt", ".webmanifest")) and not key.startswith("unduh/")]
    assert uploaded == len(compressible)  # served differently: sent again; the rest is unchanged
    sent = re.search(r"\(([\d.,]+ [KMG]?B|[\d,]+ bytes), ([\d.,]+ [KMG]?B|[\d,]+ bytes) sent\)", result.output)
    assert sent, result.output
    page = aws.get_object(Bucket=bucket, Key="index.html")
    assert page["ContentEncoding"] == "gzip"
    assert gzip.decompress(page["Body"].read()) == (site / "index.html").read_bytes()
    download = aws.get_object(Bucket=bucket, Key="unduh/cakupan.csv")
    assert "ContentEncoding" not in download and download["Body"].read() == (site / "unduh/cakupan.csv").read_bytes()
    assert counts(deploy(site, f"s3://{bucket}/", "--gzip").output)[0] == 0


def test_a_deploy_from_another_machine_is_noticed(aws, bucket, bundled):
    site = bundled / "_site"
    target = s3_module.parse_target(f"s3://{bucket}/")
    first = deploy_module.deploy(site, target, cache_dir=bundled / "laptop")
    assert first.listed and len(first.plan.uploads) > 100
    (site / "index.html").write_text("from CI", encoding="utf-8")
    ci = deploy_module.deploy(site, target, cache_dir=bundled / "ci")  # CI's own record: none yet
    assert ci.listed and [file.key for file in ci.plan.uploads] == ["index.html"]
    (site / "index.html").write_text("from the laptop", encoding="utf-8")
    laptop = deploy_module.deploy(site, target, cache_dir=bundled / "laptop")
    # The laptop's record says index.html is its first version; the stamp says someone deployed since.
    assert laptop.listed and laptop.heads == 1 and [file.key for file in laptop.plan.uploads] == ["index.html"]
    again = deploy_module.deploy(site, target, cache_dir=bundled / "laptop")
    assert (again.listed, again.plan.uploads) == (False, [])


def test_an_object_changed_in_place_is_put_back(aws, bucket, tmp_path):
    site = small_site(tmp_path / "_site", {"index.html": b"<p>home", "a/index.html": b"<p>a"})
    target = s3_module.parse_target(f"s3://{bucket}/")
    deploy_module.deploy(site, target, cache_dir=tmp_path / "cache")
    time.sleep(2.1)  # (LastModified has whole seconds)
    # Same bytes (so the same ETag), other headers: only the time tells it changed.
    aws.copy_object(Bucket=bucket, Key="index.html", CopySource={"Bucket": bucket, "Key": "index.html"},
                    MetadataDirective="REPLACE", ContentType="text/plain", Metadata={})
    trusted = deploy_module.deploy(site, target, cache_dir=tmp_path / "cache")
    assert (trusted.listed, trusted.plan.uploads) == (False, [])  # the record of the last deploy is trusted
    done = deploy_module.deploy(site, target, cache_dir=tmp_path / "cache", verify=True)
    assert done.listed and [file.key for file in done.plan.uploads] == ["index.html"] and done.heads == 1
    assert aws.head_object(Bucket=bucket, Key="index.html")["ContentType"] == "text/html; charset=utf-8"


def test_a_one_village_change_uploads_exactly_the_changed_files(aws, bucket, tmp_path, monkeypatch):
    root = write_site(tmp_path / "national", national_files())
    monkeypatch.chdir(root)
    site = build(root)
    assert counts(deploy(site, f"s3://{bucket}/id").output)[0] == len(site_digests(site))
    before = site_digests(site)

    move_person(root, "63.10.01.", "63.10.02.", "2025-04")
    build(root)  # an update: sitegen rewrites only what changed
    after = site_digests(site)
    changed = {key for key in after if before.get(key) != after[key]}
    gone = set(before) - set(after)
    assert 0 < len(changed) < len(after) / 5

    result = deploy(site, f"s3://{bucket}/id")
    assert result.exit_code == 0, result.output
    assert counts(result.output) == (len(changed), len(gone), len(after) - len(changed))
    assert bucket_digests(aws, bucket, "id/") == after


def test_a_deleted_article_is_deleted_from_the_bucket(aws, bucket, bundled):
    site = bundled / "_site"
    assert deploy(site, f"s3://{bucket}/").exit_code == 0
    before = site_digests(site)
    article = sorted((bundled / "content" / "news").glob("*.md"))[0]
    article.unlink()
    build(bundled)
    after = site_digests(site)
    gone = set(before) - set(after)
    assert f"berita/{article.stem[len('2025-04-16-'):]}/index.html" in gone  # its page, at least

    result = deploy(site, f"s3://{bucket}/")
    assert result.exit_code == 0, result.output
    changed = {key for key in after if before.get(key) != after[key]}
    assert counts(result.output) == (len(changed), len(gone), len(after) - len(changed))
    assert set(bucket_etags(aws, bucket)) == set(after)


def test_dry_run_prints_the_plan_and_changes_nothing(aws, bucket, bundled):
    site = bundled / "_site"
    result = deploy(site, f"s3://{bucket}/", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run, nothing changed" in result.output
    assert "upload index.html (" in result.output
    assert bucket_etags(aws, bucket) == {}

    assert deploy(site, f"s3://{bucket}/").exit_code == 0
    etags = bucket_etags(aws, bucket)
    (site / "index.html").write_text("changed", encoding="utf-8")
    (site / "berita" / "index.html").unlink()
    result = deploy(site, f"s3://{bucket}/", "--dry-run")
    assert "upload index.html (7 bytes)" in result.output and "delete berita/index.html" in result.output
    assert bucket_etags(aws, bucket) == etags


def test_deletions_over_the_cap_stop_before_anything_changes(aws, bucket, bundled, make_site):
    assert deploy(bundled / "_site", f"s3://{bucket}/").exit_code == 0
    etags = bucket_etags(aws, bucket)
    small = make_site()  # a three-village site: most of the bundled site's objects would go
    build(small)
    result = deploy(small / "_site", f"s3://{bucket}/", "--max-deletes", "100")
    assert result.exit_code == 1
    assert "more than --max-deletes 100" in result.output and "Nothing was changed" in result.output
    assert bucket_etags(aws, bucket) == etags

    result = deploy(small / "_site", f"s3://{bucket}/", "--max-deletes", "-1")
    assert result.exit_code == 0, result.output
    assert set(bucket_etags(aws, bucket)) == set(site_digests(small / "_site"))


def test_a_missing_bucket_is_named(aws, bundled):
    result = deploy(bundled / "_site", "s3://no-such-bucket-here/site")
    assert result.exit_code == 1
    assert "the bucket 'no-such-bucket-here' does not exist" in result.output


def test_missing_credentials_are_explained(aws, bucket, bundled, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = deploy(bundled / "_site", f"s3://{bucket}/")
    assert result.exit_code == 1
    assert "no credentials" in result.output and "AWS_ACCESS_KEY_ID" in result.output


def test_wrong_credentials_are_explained(aws, bundled, monkeypatch):
    # A second server that checks every request's credentials (moto's IAM emulation), knowing none.
    process, endpoint = start_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        result = deploy(bundled / "_site", "s3://some-bucket/")
    finally:
        process.terminate()
        process.wait(10)
    assert result.exit_code == 1
    assert "refused the credentials (InvalidAccessKeyId" in result.output and "AWS_SECRET_ACCESS_KEY" in result.output


class FlakyProxy(http.server.BaseHTTPRequestHandler):
    """Forwards requests to the S3 server; once `fail_after` uploads went through, it hangs up on
    every request, as a network that goes away does."""
    protocol_version = "HTTP/1.1"
    upstream = ""
    fail_after: int | None = None
    uploads = 0
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.lock:
            failing = self.fail_after is not None and FlakyProxy.uploads >= self.fail_after
            if self.command == "PUT" and not failing:
                FlakyProxy.uploads += 1
        if failing:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        host, port = self.upstream.split(":")
        upstream = http.client.HTTPConnection(host, int(port), timeout=30)
        upstream.request(self.command, self.path, body, dict(self.headers))
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = forward


def test_a_network_failure_half_way_is_finished_by_running_again(aws, bucket, bundled, s3_server, monkeypatch):
    FlakyProxy.upstream = s3_server.removeprefix("http://")
    FlakyProxy.fail_after, FlakyProxy.uploads = 300, 0
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FlakyProxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{proxy.server_address[1]}")
    site = bundled / "_site"
    local = site_digests(site)
    try:
        broken = deploy(site, f"s3://{bucket}/")
        assert broken.exit_code == 1
        assert "could not reach" in broken.output and "run the same command again" in broken.output
        there = bucket_etags(aws, bucket)
        assert 0 < len(there) < len(local)

        FlakyProxy.fail_after = None  # the network is back
        again = deploy(site, f"s3://{bucket}/")
    finally:
        proxy.shutdown()
    assert again.exit_code == 0, again.output
    # What went up before the failure is not sent again (known from the record, or read from the
    # metadata of uploads that finished as the connection died).
    assert counts(again.output) == (len(local) - len(there), 0, len(there))
    assert bucket_digests(aws, bucket, "") == local


def test_only_sitegen_folders_are_deployed(aws, bucket, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("x", encoding="utf-8")
    result = deploy(tmp_path / "notes", f"s3://{bucket}/")
    assert result.exit_code == 1 and "was not built by sitegen" in result.output
    result = deploy(tmp_path / "notes", "http://example.org/")
    assert result.exit_code == 1 and "is not a target such as s3://BUCKET/" in result.output


def test_host_limits(bundled, run_cli):
    result = run_cli("deploy", str(bundled / "_site"), "--check", "cloudflare-pages")
    assert result.exit_code == 0 and "fits Cloudflare Pages" in result.output
    big = [("unduh/cakupan.csv", 290 << 20), *((f"desa/{i}/index.html", 10_000) for i in range(60_000))]
    assert over_limits(big, HOSTS["github-pages"]) == []  # 0.9 GB
    cloudflare = over_limits(big, HOSTS["cloudflare-pages"])
    assert any("60,001 files" in p for p in cloudflare) and any("unduh/cakupan.csv is 290.0 MiB" in p for p in cloudflare)
    assert over_limits(big, HOSTS["netlify"]) == []  # each desa has a folder of its own
    crowded = [(f"api/{i}.json", 100) for i in range(54_001)]
    assert over_limits(crowded, HOSTS["netlify"]) == [
        "the folder api/ has 54,001 files; Netlify takes at most 54,000 in one folder"]
    assert over_limits(big + [("x.bin", 2 * 1000 ** 3)], HOSTS["github-pages"])[0].startswith("the site is 2.")
    (bundled / "_site" / "unduh" / "huge.bin").write_bytes(b"\0" * (26 << 20))
    result = run_cli("deploy", str(bundled / "_site"), "--check", "cloudflare-pages")
    assert result.exit_code == 1 and "unduh/huge.bin is 26.0 MiB" in result.output


class BucketWebsite(http.server.BaseHTTPRequestHandler):
    """Serves a bucket as S3's website endpoint does: folder/ is folder/index.html."""
    client = None
    bucket = ""

    def log_message(self, *args):
        pass

    def do_GET(self):
        key = self.path.split("?")[0].lstrip("/")
        if key == "" or key.endswith("/"):
            key += "index.html"
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey:
            self.send_error(404)
            return
        body = answer["Body"].read()
        self.send_response(200)
        self.send_header("Content-Type", answer["ContentType"])
        self.send_header("Cache-Control", answer["CacheControl"])
        if answer.get("ContentEncoding"):
            self.send_header("Content-Encoding", answer["ContentEncoding"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_a_desa_page_from_the_bucket_loads_with_its_charts(aws, bucket, bundled, chromium):
    site = bundled / "_site"
    assert deploy(site, f"s3://{bucket}/jamsostek/", "--gzip").exit_code == 0  # as the workflow deploys
    BucketWebsite.client, BucketWebsite.bucket = aws, bucket
    website = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BucketWebsite)
    threading.Thread(target=website.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{website.server_address[1]}/"
    desa = sorted(p.name for p in (site / "desa").iterdir())[0]
    page = chromium.new_page(viewport={"width": 360, "height": 740})
    errors, foreign = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(origin) else foreign.append(r.url))
    try:
        page.goto(f"{origin}jamsostek/desa/{desa}/")
        charts = page.locator("[data-chart]")
        assert charts.count() >= 1
        for i in range(charts.count()):
            charts.nth(i).scroll_into_view_if_needed()
            charts.nth(i).locator("svg").first.wait_for(state="attached", timeout=15000)
        assert not errors, errors
        assert not foreign, foreign
    finally:
        page.close()
        website.shutdown()


def test_a_release_of_the_downloads_is_never_deleted():
    from sitegen.publish.plan import LocalFile, make_plan

    local = [LocalFile("index.html", "index.html", 1, "a" * 64)]
    remote = {"index.html": "a" * 64, "old.html": "b" * 64, "unduh/arsip/2025-03/data.zip": "c" * 64,
              "unduh/arsip/index.json": "d" * 64}
    assert make_plan(local, remote).deletes == ["old.html", "unduh/arsip/index.json"]
