"""What the SMS and voice benchmark drivers share: signed form posts over keep-alive
connections from `concurrency` threads, each timed from send to Twilio-visible answer."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode, urlsplit

from django.conf import settings

from caseway.connectors.telephony.signature import sign

# Settings the server of the benchmark needs (the lead puts them in its environment).
BENCH_ENV = {
    "TWILIO_ACCOUNT_SID": "ACbe0c0000000000000000000000000000",
    "TWILIO_AUTH_TOKEN": "bench-auth-token-not-a-secret-000",
}

Form = dict[str, str]


def ensure_settings() -> None:
    """Fill in the benchmark's Twilio settings if the environment did not (same process)."""
    for name, value in BENCH_ENV.items():
        if not getattr(settings, name, ""):
            setattr(settings, name, value)


def post_all(
    *, web_url: str, path: str, phases: Sequence[Sequence[Form]], concurrency: int,
    check: Callable[[int, bytes], bool],
) -> list[int]:  # fmt: skip
    """POST every form of each phase (phases run one after the other) signed for `path`;
    return each request's latency in ns. Raises if any answer fails `check`."""
    ensure_settings()
    target = urlsplit(web_url)
    signed_url = str(settings.TWILIO_WEBHOOK_BASE_URL).rstrip("/") + path
    local = threading.local()

    def connection() -> http.client.HTTPConnection:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            local.conn = conn
        return conn

    def one(form: Form) -> int:
        body = urlencode(form)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sign(signed_url, form),
            "Host": target.netloc,
        }
        conn = connection()
        started = time.perf_counter_ns()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
        except (http.client.HTTPException, OSError):
            local.conn = None
            raise
        elapsed = time.perf_counter_ns() - started
        if not check(response.status, content):
            raise RuntimeError(f"{path} answered {response.status}: {content[:200]!r}")
        return elapsed

    latencies: list[int] = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for phase in phases:
            latencies.extend(pool.map(one, phase))
    return latencies
