"""`sitegen serve`: build, serve on 127.0.0.1, rebuild on every change, reload open tabs.

The served files are an ordinary build; the live-reload script is added to each
HTML response on its way out, so it never appears in `sitegen build` output.
A failed rebuild keeps the last good site served and shows its problems as an
overlay in every open tab.
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import json
import threading
import time
from pathlib import Path

import click

from .build import BuildOptions, build
from .errors import InputError, OutputError

PREFIX = "/__sitegen__/"
RELOAD_JS = """\
(function () {
  "use strict";
  var shown = null;
  function overlay(problems) {
    if (shown) shown.remove();
    if (!problems || !problems.length) return;
    shown = document.createElement("div");
    shown.id = "sitegen-error-overlay";
    shown.setAttribute("role", "alert");
    shown.style.cssText = "position:fixed;inset:0;z-index:99999;overflow:auto;background:rgba(20,20,20,.94);" +
      "color:#fff;font:14px/1.5 monospace;padding:1.5rem;white-space:pre-wrap";
    var title = document.createElement("strong");
    title.textContent = "sitegen: the last change did not build; this is the last good site.\\n\\n";
    shown.appendChild(title);
    shown.appendChild(document.createTextNode(problems.join("\\n")));
    document.body.appendChild(shown);
  }
  var events = new EventSource("/__sitegen__/events");
  var build = null;
  events.onmessage = function (message) {
    var state = JSON.parse(message.data);
    if (build !== null && state.build !== build && !state.problems.length) {
      sessionStorage.setItem("sitegen-reload", String(state.build));
      location.reload();
      return;
    }
    build = state.build;
    overlay(state.problems);
  };
  var reloaded = sessionStorage.getItem("sitegen-reload");
  if (reloaded) {
    sessionStorage.removeItem("sitegen-reload");
    fetch("/__sitegen__/reloaded?build=" + reloaded);
  }
})();
"""
TAG = b'<script src="/__sitegen__/reload.js"></script>'


class LiveState:
    """The last build's number and problems; waiters are woken when it changes."""

    def __init__(self):
        self.build = 0
        self.problems: list[str] = []
        self.changed_at: float | None = None
        self.condition = threading.Condition()
        self.building = threading.Lock()  # the first build and the watcher's take turns

    def publish(self, problems: list[str]) -> None:
        with self.condition:
            if not problems:
                self.build += 1
            self.problems = problems
            self.condition.notify_all()

    def snapshot(self) -> dict:
        return {"build": self.build, "problems": self.problems}


class Handler(http.server.SimpleHTTPRequestHandler):
    state: LiveState

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith(PREFIX + "reload.js"):
            return self.send_body(RELOAD_JS.encode(), "text/javascript")
        if self.path.startswith(PREFIX + "events"):
            return self.stream_events()
        if self.path.startswith(PREFIX + "reloaded"):
            if self.state.changed_at is not None:
                click.echo(f"sitegen: page reloaded {time.perf_counter() - self.state.changed_at:.2f} s "
                           f"after the change was saved")
                self.state.changed_at = None
            return self.send_body(b"ok", "text/plain")
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?", 1)[0].endswith("/"):
                return super().do_GET()  # redirects to the folder's address, so relative links work
            path = path / "index.html"
        # The news editor (admin/) is left alone: a reload or an error overlay would take it from its user.
        if path.suffix == ".html" and path.is_file() and not self.path.split("?", 1)[0].lstrip("/").startswith("admin/"):
            html = path.read_bytes()
            html = html.replace(b"</body>", TAG + b"</body>", 1) if b"</body>" in html else html + TAG
            return self.send_body(html, "text/html; charset=utf-8")
        return super().do_GET()

    def send_body(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def stream_events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = None
        try:
            while True:
                with self.state.condition:
                    current = json.dumps(self.state.snapshot())
                    if current == seen:
                        self.state.condition.wait(timeout=15)
                        current = json.dumps(self.state.snapshot())
                if current != seen:
                    self.wfile.write(f"data: {current}\n\n".encode())
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
                seen = current
        except (BrokenPipeError, ConnectionResetError):
            return


def rebuild(options: BuildOptions, state: LiveState) -> None:
    with state.building:
        started = time.perf_counter()
        build_and_report(options, state, started)


def build_and_report(options: BuildOptions, state: LiveState, started: float) -> None:
    try:
        result = build(options)
    except InputError as exc:
        lines = exc.problems.report_lines()
        click.echo("\n".join(lines) + f"\nsitegen: {len(lines)} problem(s); still serving the last good site",
                   err=True)
        state.publish(lines)
        return
    except OutputError:
        raise  # the output folder cannot be used: serving it would show the wrong files
    except Exception as exc:  # noqa: BLE001 - keep serving the last good site, and say what broke
        click.echo(f"sitegen: the build failed: {type(exc).__name__}: {exc}", err=True)
        state.publish([f"{type(exc).__name__}: {exc}"])
        return
    click.echo(f"sitegen: rebuilt in {time.perf_counter() - started:.2f} s "
               f"({result.rendered} pages rendered, {result.written} files written)")
    state.publish([])


def watch_and_rebuild(options: BuildOptions, state: LiveState, stop: threading.Event,
                      watching: threading.Event) -> None:
    import watchfiles  # lazy: only `sitegen serve` needs it

    folders = [str(p) for p in (options.data, options.content, options.templates, options.assets) if p.is_dir()]
    # Every half second without a change yields an empty set: the first one says the watch is on.
    for changes in watchfiles.watch(*folders, stop_event=stop, debounce=50, step=20, rust_timeout=500,
                                    yield_on_timeout=True):
        watching.set()
        if not changes:
            continue
        state.changed_at = time.perf_counter()
        try:
            rebuild(options, state)
        except OutputError as exc:
            click.echo(f"sitegen: {exc}", err=True)
            state.publish([str(exc)])


def serve(options: BuildOptions, port: int) -> None:
    options = dataclasses.replace(options, progress=None)
    state = LiveState()
    stop, watching = threading.Event(), threading.Event()
    # The watch starts before the first build, so that no edit made from then on goes unseen.
    watcher = threading.Thread(target=watch_and_rebuild, args=(options, state, stop, watching), daemon=True)
    watcher.start()
    watching.wait(timeout=30)
    try:
        rebuild(options, state)
    except OutputError as exc:
        raise click.ClickException(str(exc)) from None
    if state.build == 0:
        click.echo("sitegen: fix the problems above; the site will be built as soon as they are", err=True)
    handler = functools.partial(type("LiveHandler", (Handler,), {"state": state}), directory=str(options.out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    click.echo(f"sitegen: serving {options.out} at http://127.0.0.1:{server.server_address[1]}/ "
               f"(Ctrl+C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        click.echo("sitegen: stopped")
