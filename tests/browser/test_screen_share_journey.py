"""Screen sharing between two real browsers: in a live chat the agent asks to see the
screen, the visitor agrees and shares it (getDisplayMedia and WebRTC), the agent's page
receives live frames, the visitor stops, and the session is on the case timeline.

Chromium runs with --use-fake-ui-for-media-stream (the screen picker answers itself) and
--use-fake-device-for-media-stream (the capture is a synthetic, moving picture)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from caseway.cases.models import Case
from caseway.livechat.models import ScreenShare, ShareState
from tests.browser.chat_desk import chat_desk, open_chat_console
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.pages import Step, new_page
from tests.browser.test_live_chat_journey import asgi_server, shop_site  # noqa: F401 (fixtures)

# serialized_rollback, as the other journeys that follow it: the default queue and content
# types come back from the serialized database, not from a post_migrate after the flush.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MEDIA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]

# Resolves once the agent's <video> has shown `n` new frames (or after 15 s with the count).
FRAMES = """([video, n]) => new Promise((resolve) => {
  let count = 0;
  const done = setTimeout(() => resolve(count), 15000);
  const tick = () => { count += 1; if (count >= n) { clearTimeout(done); resolve(count); }
                       else video.requestVideoFrameCallback(tick); };
  video.requestVideoFrameCallback(tick);
})"""


@pytest.fixture(scope="module")
def media_browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *MEDIA_ARGS]
        )
        yield browser
        browser.close()


def test_the_agent_sees_the_visitors_screen_live(
    media_browser,
    asgi_server,  # noqa: F811
    shop_site,  # noqa: F811
    settings,
):
    settings.CASEWAY_CHAT_ALLOWED_ORIGINS = [shop_site]
    chat_desk()
    step = Step("share-")

    agent_context, agent_page = open_chat_console(media_browser, step, asgi_server)

    visitor_context, visitor = new_page(media_browser, step)
    visitor.goto(shop_site)
    widget = visitor.locator("#caseway-chat")
    widget.get_by_role("button", name="Chat with Globex").click()
    widget.get_by_label("Name").fill("Vic Visitor")
    widget.get_by_label("Email").fill("vic@example.test")
    widget.get_by_label("Your question").fill("The settings page shows an error")
    widget.get_by_role("button", name="Start chat").click()
    # The first answer loads the search's embedding model.
    expect(widget.locator(".line.bot")).to_be_visible(timeout=60_000)
    widget.get_by_role("button", name="Talk to a person").click()

    pane = agent_page.get_by_test_id("chat-pane")
    pane.get_by_role("button", name="Accept").click()
    expect(widget.locator(".line.system").last).to_contain_text("Cleo joined the chat")

    # The agent asks; the visitor is asked for consent.
    pane.get_by_test_id("share-ask").click()
    expect(pane.get_by_test_id("share-box")).to_contain_text("Waiting for Vic Visitor")
    consent = widget.get_by_role("region", name="Screen sharing")
    expect(consent).to_contain_text("Cleo asks to see your screen")
    expect(consent).to_contain_text("nothing is recorded")
    step.shot(visitor, "consent")

    consent.get_by_role("button", name="Share my screen").click()
    expect(consent).to_contain_text("You are sharing your screen with Cleo")
    video = pane.get_by_test_id("share-video")
    expect(video).to_be_visible(timeout=15_000)
    expect(pane.get_by_test_id("share-box")).to_contain_text("Vic Visitor is sharing")
    # Live frames: the picture has a size, and new frames keep arriving.
    handle = video.element_handle()
    assert agent_page.evaluate(FRAMES, [handle, 10]) >= 10
    assert agent_page.evaluate("(v) => v.videoWidth", handle) > 0
    played = agent_page.evaluate("(v) => v.currentTime", handle)
    agent_page.wait_for_timeout(500)
    assert agent_page.evaluate("(v) => v.currentTime", handle) > played
    step.shot(agent_page, "watching")
    step.shot(visitor, "sharing")

    # The visitor stops: both sides see it end.
    consent.get_by_role("button", name="Stop sharing").click()
    expect(pane.get_by_test_id("share-box")).to_be_hidden()
    expect(pane.get_by_test_id("share-ask")).to_be_visible()
    expect(widget.locator(".line.system").last).to_contain_text("Screen sharing ended")
    share = ScreenShare.objects.get()
    assert (share.state, share.ended_by) == (ShareState.ENDED, "visitor")

    # Asked again, declined this time.
    pane.get_by_test_id("share-ask").click()
    consent.get_by_role("button", name="No thanks").click()
    expect(pane.get_by_test_id("share-box")).to_contain_text("chose not to share")
    step.shot(agent_page, "declined")

    pane.get_by_role("button", name="End chat").click()
    expect(widget.locator(".meta")).to_contain_text("This chat has ended")
    case = Case.objects.get()
    agent_page.goto(f"{asgi_server}/agent/cases/{case.number}/")
    timeline = agent_page.locator("body")
    expect(timeline).to_contain_text("Vic Visitor showed their screen to Cleo from")
    expect(timeline).to_contain_text("ended by Vic Visitor")
    expect(timeline).to_contain_text("Screen share asked by Cleo: Vic Visitor declined.")
    step.shot(agent_page, "timeline")
    assert not step.js_errors
    visitor_context.close()
    agent_context.close()
