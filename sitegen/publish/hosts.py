"""The limits of static hosts, and which of them a built site exceeds (`sitegen deploy --check`).

From each host's documentation (2026): GitHub Pages publishes at most 1 GB; Cloudflare Pages takes
20,000 files (100,000 on a paid plan) of at most 25 MiB each; Netlify fails a deploy with a folder
of more than 54,000 files. Object storage (S3, R2, GCS, MinIO) has no limit a site reaches.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .plan import site_listing

MiB = 1 << 20
GB = 1000 ** 3


@dataclass(frozen=True)
class Host:
    name: str
    total_bytes: int | None = None
    files: int | None = None
    file_bytes: int | None = None
    files_per_folder: int | None = None


HOSTS = {
    "github-pages": Host("GitHub Pages", total_bytes=1 * GB),
    "cloudflare-pages": Host("Cloudflare Pages (free plan)", files=20_000, file_bytes=25 * MiB),
    "cloudflare-pages-paid": Host("Cloudflare Pages (paid plan)", files=100_000, file_bytes=25 * MiB),
    "netlify": Host("Netlify", files_per_folder=54_000),
    "s3": Host("object storage (S3, R2, GCS, MinIO)"),
}


def over_limits(files: list[tuple[str, int]], host: Host) -> list[str]:
    """What in the site (key, size) exceeds the host's limits, one sentence each; [] if it fits."""
    problems = []
    total = sum(size for _, size in files)
    if host.total_bytes is not None and total > host.total_bytes:
        problems.append(f"the site is {total / GB:,.2f} GB; {host.name} publishes at most "
                        f"{host.total_bytes / GB:,.0f} GB")
    if host.files is not None and len(files) > host.files:
        problems.append(f"the site has {len(files):,} files; {host.name} takes at most {host.files:,}")
    if host.file_bytes is not None:
        large = [(key, size) for key, size in files if size > host.file_bytes]
        for key, size in large[:10]:
            problems.append(f"{key} is {size / MiB:,.1f} MiB; {host.name} takes files of at most "
                            f"{host.file_bytes / MiB:,.0f} MiB")
        if len(large) > 10:
            problems.append(f"... and {len(large) - 10} more files over {host.file_bytes / MiB:,.0f} MiB")
    if host.files_per_folder is not None:
        folders = Counter(key.rpartition("/")[0] or "." for key, _ in files)
        for folder, count in sorted(folders.items()):
            if count > host.files_per_folder:
                problems.append(f"the folder {folder}/ has {count:,} files; {host.name} takes at most "
                                f"{host.files_per_folder:,} in one folder")
    return problems


def check_site_for_host(site: Path, host_name: str) -> tuple[list[str], int, int]:
    """(problems, files, bytes) of a built site against one host's limits."""
    files = [(key, size) for key, _, size, _, _ in site_listing(site)]
    return over_limits(files, HOSTS[host_name]), len(files), sum(size for _, size in files)
