"""Signed deliveries of recorded payloads, and a local stand-in for the Graph and X APIs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
APP_SECRET = "fb-app-secret-for-tests"
VERIFY_TOKEN = "fb-verify-token-for-tests"
PAGE_TOKEN = "EAAG-page-token-for-tests"
X_SECRET = "x-consumer-secret-for-tests"
X_TOKEN = "x-user-access-token-for-tests"


def fixture_bytes(provider: str, name: str) -> bytes:
    return (FIXTURES / provider / name).read_bytes()


def facebook_signature(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def x_signature(body: bytes, secret: str = X_SECRET) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


@pytest.fixture(autouse=True)
def _social_settings(settings):
    settings.CASEWAY_FACEBOOK_APP_SECRET = APP_SECRET
    settings.CASEWAY_FACEBOOK_VERIFY_TOKEN = VERIFY_TOKEN
    settings.CASEWAY_FACEBOOK_PAGE_ACCESS_TOKEN = PAGE_TOKEN
    settings.CASEWAY_X_CONSUMER_SECRET = X_SECRET
    settings.CASEWAY_X_ACCESS_TOKEN = X_TOKEN
    # Nothing may leave the machine: an unconfigured API call fails at once.
    settings.CASEWAY_FACEBOOK_GRAPH_URL = "http://127.0.0.1:9"
    settings.CASEWAY_X_API_URL = "http://127.0.0.1:9"


@pytest.fixture
def post_facebook(client):
    def post(body: bytes, *, signature: str | None = None):
        return client.post(
            "/hooks/facebook/",
            data=body,
            content_type="application/json",
            headers={
                "X-Hub-Signature-256": facebook_signature(body) if signature is None else signature
            },
        )

    return post


@pytest.fixture
def post_x(client):
    def post(body: bytes, *, signature: str | None = None):
        return client.post(
            "/hooks/x/",
            data=body,
            content_type="application/json",
            headers={
                "X-Twitter-Webhooks-Signature": x_signature(body)
                if signature is None
                else signature
            },
        )

    return post


class FakeProvider:
    """Graph API and X API v2 endpoints on 127.0.0.1, recording each call.

    Refuses (401) a call without the expected bearer token, as the real APIs do.
    """

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.next_id = 1863214000999999999  # the first id handed out ends in 000
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                auth = self.headers.get("Authorization", "")
                provider.calls.append({"path": self.path, "auth": auth, "body": body})
                status, answer = provider.answer(self.path, auth)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, path: str, auth: str) -> tuple[int, dict[str, Any]]:
        self.next_id += 1
        if path.startswith("/v21.0/"):
            if auth != f"Bearer {PAGE_TOKEN}":
                return 401, {"error": {"message": "Invalid OAuth access token.", "code": 190}}
            if path == "/v21.0/me/messages":
                return 200, {"recipient_id": "x", "message_id": f"m_sent{self.next_id}"}
            return 200, {"id": f"998877665544332_{self.next_id}"}
        if auth != f"Bearer {X_TOKEN}":
            return 401, {"title": "Unauthorized", "status": 401}
        if path == "/2/tweets":
            return 201, {"data": {"id": str(self.next_id), "text": "..."}}
        if path.startswith("/2/dm_conversations/with/"):
            return 201, {"data": {"dm_conversation_id": "a-b", "dm_event_id": str(self.next_id)}}
        return 404, {"title": "Not Found"}


@pytest.fixture
def provider(settings):
    fake = FakeProvider()
    fake.thread.start()
    settings.CASEWAY_FACEBOOK_GRAPH_URL = fake.url
    settings.CASEWAY_X_API_URL = fake.url
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
