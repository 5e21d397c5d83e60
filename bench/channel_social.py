"""Channel driver for `caseway bench channels`: Facebook Messenger and X webhooks, signed.

Sends `count` distinct real-format deliveries to /hooks/facebook/ and /hooks/x/ on the
running server: a third Messenger messages, a third X DMs, a third public X mentions (angry
ones: social listening scores them negative and opens a case). The first half come from new
senders (a new case each); the second half are the same senders writing again (the
Messenger and DM conversations continue their case; the mention's author replies under
their own tweet, which joins its case). Each latency is one POST, from sending to the
provider-visible acknowledgement (the 200 answer), with the message already on its case.

BENCH_ENV = {"FACEBOOK_APP_SECRET": "bench-facebook-app-secret",
             "X_CONSUMER_SECRET": "bench-x-consumer-secret"}
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

BENCH_ENV = {
    "FACEBOOK_APP_SECRET": "bench-facebook-app-secret",
    "X_CONSUMER_SECRET": "bench-x-consumer-secret",
}
PAGE_ID = "104729385017"
ACCOUNT_ID = "1587923465100247040"


def setup() -> None:
    """Nothing to create: the webhooks need only their secrets (BENCH_ENV)."""
    from django.conf import settings

    if not settings.CASEWAY_FACEBOOK_APP_SECRET or not settings.CASEWAY_X_CONSUMER_SECRET:
        raise RuntimeError("set FACEBOOK_APP_SECRET and X_CONSUMER_SECRET (see BENCH_ENV)")


def _secrets() -> tuple[str, str]:
    from django.conf import settings

    return settings.CASEWAY_FACEBOOK_APP_SECRET, settings.CASEWAY_X_CONSUMER_SECRET


def messenger(sender: str, mid: str, text: str, at_ms: int) -> dict[str, object]:
    return {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "time": at_ms,
                "messaging": [
                    {
                        "sender": {"id": sender},
                        "recipient": {"id": PAGE_ID},
                        "timestamp": at_ms,
                        "message": {"mid": mid, "text": text},
                    }
                ],
            }
        ],
    }


def x_dm(sender: str, event_id: str, text: str, at_ms: int) -> dict[str, object]:
    return {
        "for_user_id": ACCOUNT_ID,
        "direct_message_events": [
            {
                "type": "message_create",
                "id": event_id,
                "created_timestamp": str(at_ms),
                "message_create": {
                    "target": {"recipient_id": ACCOUNT_ID},
                    "sender_id": sender,
                    "message_data": {"text": text, "entities": {}},
                },
            }
        ],
        "users": {sender: {"id": sender, "name": f"Bench {sender}", "screen_name": f"b{sender}"}},
    }


def x_tweet(sender: str, tweet_id: str, text: str, parent: str = "") -> dict[str, object]:
    return {
        "for_user_id": ACCOUNT_ID,
        "user_has_blocked": False,
        "tweet_create_events": [
            {
                "id_str": tweet_id,
                "text": text,
                "truncated": False,
                "in_reply_to_status_id_str": parent or None,
                "in_reply_to_user_id_str": ACCOUNT_ID,
                "user": {"id_str": sender, "name": f"Bench {sender}", "screen_name": f"b{sender}"},
                "lang": "en",
            }
        ],
    }


def _deliveries(count: int) -> tuple[list[tuple[str, bytes]], list[tuple[str, bytes]]]:
    """(path, body) of the new-sender half and of the replies half."""
    run = uuid.uuid4().int % 10**12
    now_ms = int(time.time() * 1000)
    first: list[tuple[str, bytes]] = []
    second: list[tuple[str, bytes]] = []
    new = (count + 1) // 2
    for i in range(count):
        k = i % new  # the sender; messages past `new` are their second message
        is_reply = i >= new
        sender = f"{run}{k:06d}"
        kind = k % 3
        n = f"{run}{i:06d}"
        if kind == 0:
            text = "Thanks, and one more thing" if is_reply else f"My order {k} has not shipped"
            path, data = "/hooks/facebook/", messenger(sender, f"m_bench{n}", text, now_ms + i)
        elif kind == 1:
            text = "Here is the receipt" if is_reply else f"Renewal {k} failed twice today"
            path, data = "/hooks/x/", x_dm(sender, f"9{n}", text, now_ms + i)
        elif is_reply:
            path, data = "/hooks/x/", x_tweet(sender, f"8{n}", "version 4.2", parent=f"7{run}{k}")
        else:
            text = "@casewayhelp worst support ever, the app keeps crashing. Furious."
            path, data = "/hooks/x/", x_tweet(sender, f"7{run}{k}", text)
        (second if is_reply else first).append((path, json.dumps(data).encode()))
    return first, second


def _signed_headers(path: str, body: bytes) -> dict[str, str]:
    facebook_secret, x_secret = _secrets()
    if path.startswith("/hooks/facebook/"):
        digest = hmac.new(facebook_secret.encode(), body, hashlib.sha256).hexdigest()
        return {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}
    signature = base64.b64encode(hmac.new(x_secret.encode(), body, hashlib.sha256).digest())
    return {
        "Content-Type": "application/json",
        "X-Twitter-Webhooks-Signature": f"sha256={signature.decode()}",
    }


def _poster(web_url: str) -> Callable[[tuple[str, bytes]], int]:
    parts = urlsplit(web_url)
    local = threading.local()

    def post(item: tuple[str, bytes]) -> int:
        path, body = item
        headers = _signed_headers(path, body)
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            local.connection = connection
        started = time.perf_counter_ns()
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        elapsed = time.perf_counter_ns() - started
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}: {answer[:300]!r}")
        return elapsed

    return post


def drive(*, web_url: str, smtp_port: int, count: int, concurrency: int) -> list[int]:
    """Send `count` signed deliveries (half new senders, then half replies); return each
    one's latency in ns."""
    first, second = _deliveries(count)
    post = _poster(web_url)
    latencies: list[int] = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for phase in (first, second):  # replies only after the conversations exist
            latencies.extend(pool.map(post, phase))
    return latencies
