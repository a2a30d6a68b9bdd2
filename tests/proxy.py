"""A small reverse proxy for tests, run as its own process on loopback: what nginx or
oauth2-proxy do in front of the portal in header-SSO mode. It passes every request on to the
portal with the client's Host, appends the client's address to X-Forwarded-For, sets
X-Forwarded-Proto, drops any identity header the client sent, and sets its own from the
`X-Test-Sso-User` header (standing in for the company's sign-in at the proxy).

    python -m tests.proxy LISTEN_PORT UPSTREAM_URL
"""

from __future__ import annotations

import http.client
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
IDENTITY = {"x-forwarded-email", "x-forwarded-name", "x-test-sso-user"}


def handler_for(upstream: str) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | IDENTITY}
            earlier = self.headers.get("x-forwarded-for")
            headers["X-Forwarded-For"] = (
                f"{earlier}, {self.client_address[0]}" if earlier else self.client_address[0]
            )
            headers["X-Forwarded-Proto"] = "http"
            user = self.headers.get("x-test-sso-user")
            if user:
                headers["X-Forwarded-Email"] = user
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                answer = conn.getresponse()
                content = answer.read()
            finally:
                conn.close()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP | {"content-length"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

    return Forward


def main() -> None:
    port, upstream = int(sys.argv[1]), sys.argv[2]
    ThreadingHTTPServer(("127.0.0.1", port), handler_for(upstream)).serve_forever()


if __name__ == "__main__":
    main()
