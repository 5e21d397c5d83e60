"""A local stand-in for Twilio's REST API (messages and media) and helpers that post signed,
real-format webhooks. Nothing here reaches the internet."""

from __future__ import annotations

import base64
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from caseway.connectors.telephony.signature import sign

FIXTURES = Path(__file__).parent / "fixtures" / "twilio"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "12345678901234567890123456789012"
SITE = "https://support.example.test"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x00" * 200 + b"\xff\xd9"


def load(name: str, **values: str) -> dict[str, str]:
    text = (FIXTURES / f"{name}.json").read_text()
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return json.loads(text)


class FakeTwilio:
    """Speaks enough of api.twilio.com: POST Messages.json (basic auth, form), GET media (a
    redirect to a "CDN" path, as Twilio does). Records every request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, object]] = []
        self.refuse: dict[str, tuple[int, dict[str, object]]] = {}  # To -> error answer
        self.media_status = 200
        self._sids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def messages(self) -> list[dict[str, str]]:
        return [r["form"] for r in self.requests if r["path"].endswith("/Messages.json")]  # type: ignore[misc]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _authorized(self) -> bool:
                expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
                return self.headers.get("Authorization") == f"Basic {expected}"

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                fake.requests.append(
                    {"method": "POST", "path": self.path, "form": form, "auth": self._authorized()}
                )
                if not self._authorized():
                    self._send(
                        401, b'{"code": 20003, "message": "Authenticate"}', "application/json"
                    )
                    return
                if not self.path.endswith(f"/Accounts/{ACCOUNT_SID}/Messages.json"):
                    self._send(404, b'{"code": 20404}', "application/json")
                    return
                if form.get("To") in fake.refuse:
                    status, payload = fake.refuse[form["To"]]
                    self._send(status, json.dumps(payload).encode(), "application/json")
                    return
                sid = f"SM{next(fake._sids):032x}"
                body = {
                    "sid": sid,
                    "status": "queued",
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "body": form.get("Body"),
                    "num_segments": "1",
                    "error_code": None,
                    "api_version": "2010-04-01",
                    "account_sid": ACCOUNT_SID,
                }
                self._send(201, json.dumps(body).encode(), "application/json")

            def do_GET(self) -> None:
                fake.requests.append(
                    {"method": "GET", "path": self.path, "auth": self._authorized()}
                )
                path = urlsplit(self.path).path
                if path.startswith("/cdn/"):
                    self._send(200, JPEG, "image/jpeg")
                    return
                if "/Media/" in path:
                    if not self._authorized():
                        self._send(401, b"", "application/json")
                        return
                    if fake.media_status != 200:
                        self._send(fake.media_status, b"", "text/plain")
                        return
                    self.send_response(307)
                    # Off to the "CDN": another host name, as Twilio's media redirect is.
                    port = fake.server.server_address[1]
                    name = path.rsplit("/", 1)[-1]
                    self.send_header("Location", f"http://localhost:{port}/cdn/{name}.jpg")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._send(404, b"", "text/plain")

        return Handler


def run_fake_twilio(settings):
    """The body of a `fake_twilio` fixture: the stand-in started, settings pointing at it."""
    fake = FakeTwilio()
    fake.thread.start()
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_API_BASE_URL = fake.url
    settings.TWILIO_SMS_FROM = "+14155550100"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_WEBHOOK_BASE_URL = SITE
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def post_signed(client, path: str, form: dict[str, str], *, signature: str | None = None):
    """POST a form the way Twilio does, signed for the public URL of `path`."""
    header = signature if signature is not None else sign(SITE + path, form)
    return client.post(
        path,
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=header,
    )
