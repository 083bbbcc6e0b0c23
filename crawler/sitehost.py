"""Serve static site folders on loopback ports, as the demo and the crawl tests need.

Each folder is one site on its own port. ``__SITE__`` in text files becomes the site's base URL
(``http://127.0.0.1:PORT``), so sitemaps and feeds carry absolute URLs whatever the port.
Responses carry ``ETag`` and ``Last-Modified`` and answer conditional requests with 304. Every
request is kept in the server's ``requests`` log (time, method, path, headers).
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
import time
from email.utils import formatdate, parsedate_to_datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PLACEHOLDER = b"__SITE__"
TEXT_TYPES = ("text/", "application/xml", "application/rss+xml", "application/atom+xml")


class LoopbackServer(ThreadingHTTPServer):
    # socketserver listens with a queue of 5: on a busy machine the queue overflows, the kernel drops the
    # connection and the client retries a second later, which turned crawls into series of 1 s stalls.
    request_queue_size = 128


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves the folder; subclasses may answer some paths themselves by overriding ``respond``."""

    site_url = ""

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass

    def do_GET(self):
        self.server.requests.append((time.monotonic(), "GET", self.path, dict(self.headers)))
        self.respond(send_body=True)

    def do_HEAD(self):
        self.server.requests.append((time.monotonic(), "HEAD", self.path, dict(self.headers)))
        self.respond(send_body=False)

    def respond(self, send_body: bool) -> None:
        self._respond(send_body)

    def _respond(self, send_body: bool) -> None:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            self.send_error(404, "Not Found")
            return
        ctype = self.guess_type(str(path))
        body = path.read_bytes()
        if ctype.startswith(TEXT_TYPES):
            body = body.replace(PLACEHOLDER, self.site_url.encode())
        etag = f'"{hashlib.sha1(body).hexdigest()[:20]}"'
        mtime = int(path.stat().st_mtime)
        if self._not_modified(etag, mtime):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype + ("; charset=utf-8" if ctype.startswith(TEXT_TYPES) else ""))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", formatdate(mtime, usegmt=True))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        if "If-None-Match" in self.headers:
            return etag in self.headers["If-None-Match"]
        since = self.headers.get("If-Modified-Since")
        try:
            return bool(since) and parsedate_to_datetime(since).timestamp() >= mtime
        except (TypeError, ValueError):
            return False


class SiteHost:
    """Serve ``[(folder, port), ...]`` on 127.0.0.1 in background threads (port 0: any free port)."""

    def __init__(self, sites: list[tuple[Path, int]], host: str = "127.0.0.1", handler=SiteHandler):
        self.sites, self.host, self.handler = sites, host, handler
        self.servers: list[ThreadingHTTPServer] = []

    def __enter__(self) -> SiteHost:
        return self.start()

    def start(self) -> SiteHost:
        """Bind every port (OSError if one is taken, with nothing left open) and serve."""
        if self.servers:
            return self
        try:
            for folder, port in self.sites:
                self.servers.append(self._serve(Path(folder), port))
        except OSError:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _serve(self, folder: Path, port: int) -> ThreadingHTTPServer:
        handler = type("Handler", (self.handler,), {})
        server = LoopbackServer((self.host, port), lambda *a: handler(*a, directory=str(folder)))
        server.requests = []
        handler.site_url = f"http://{self.host}:{server.server_address[1]}"
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def requests(self, index: int = 0) -> list[tuple[float, str, str, dict]]:
        """(monotonic time, method, path, headers) of every request the ``index``-th site received."""
        return list(self.servers[index].requests)

    def urls(self) -> list[str]:
        return [f"http://{self.host}:{s.server_address[1]}" for s in self.servers]

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()
        self.servers.clear()


mimetypes.add_type("application/rss+xml", ".rss")
