"""Article HTML kept in the cache folder (see StoredMarkdown); inputs.articles.PlainMarkdown renders the same."""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version
from pathlib import Path

from ..inputs import articles
from ..system import replace_atomically
from .cache import code_digest


class StoredMarkdown:
    """Article bodies as sanitised HTML, kept in the cache folder by the digest of the body, its
    first line and sitegen's code: a build whose news did not change neither imports Markdown nor
    converts a body again (~0.1 s of a national update). The key includes Markdown's and nh3's
    versions."""

    def __init__(self, folder: Path):
        self.folder, self.used, self.key = folder, set(), None

    def get(self, body: str, first_line: int) -> tuple[str, tuple[tuple[str, int], ...]]:
        if self.key is None:  # what else the HTML depends on: the converter's and the sanitiser's versions

            self.key = code_digest() + f"{version('markdown')} {version('nh3')}\n".encode()
        name = hashlib.sha256(self.key + f"{first_line}\n{body}".encode()).hexdigest()[:32] + ".json"
        self.used.add(name)
        try:
            html, links = json.loads((self.folder / name).read_text(encoding="utf-8"))
            return html, tuple((href, line) for href, line in links)
        except (OSError, ValueError, TypeError):
            pass
        html, links = articles.render_markdown(body, first_line)
        self.folder.mkdir(parents=True, exist_ok=True)
        replace_atomically(self.folder / name, json.dumps([html, links], ensure_ascii=False))
        return html, links

    def forget_the_rest(self) -> None:
        """Delete the HTML of bodies no article has any more."""
        if self.folder.is_dir():
            for stored in self.folder.iterdir():
                if stored.name not in self.used:
                    stored.unlink(missing_ok=True)
