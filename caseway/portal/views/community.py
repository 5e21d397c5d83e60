"""The community forum in the portal: read topics, ask, answer, vote, accept an answer; our
team moderates (hide, show, lock) and promotes an answered topic to a draft article."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from caseway.knowledge import forums
from caseway.knowledge.forum_models import ForumReply, ForumTopic, TopicStatus

TOPICS_SHOWN = 30


@require_GET
def topic_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    show = request.GET.get("show", "")
    topics = (
        forums.search_topics(query, request.user) if query else forums.visible_topics(request.user)
    )
    if show == "unanswered":
        topics = topics.filter(status=TopicStatus.OPEN)
    elif show == "answered":
        topics = topics.filter(accepted_reply__isnull=False)
    return render(
        request,
        "portal/community_list.html",
        {"topics": topics[:TOPICS_SHOWN], "query": query, "show": show},
    )


def _topic(request: HttpRequest, topic_id: int) -> ForumTopic:
    topic = forums.visible_topics(request.user).filter(pk=topic_id).first()
    if topic is None:
        raise Http404("No such topic")
    return topic


@require_GET
def topic_detail(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = _topic(request, topic_id)
    user = request.user
    return render(
        request,
        "portal/community_topic.html",
        {
            "topic": topic,
            "replies": forums.visible_replies(topic, user),
            "can_accept": user.is_authenticated
            and (topic.author_id == user.pk or forums.is_moderator(user)),
            "is_moderator": forums.is_moderator(user),
            "can_answer": topic.status != TopicStatus.LOCKED,
        },
    )


@login_required(login_url="portal:login")
def ask(request: HttpRequest) -> HttpResponse:
    title = request.POST.get("title", "") if request.method == "POST" else ""
    body = request.POST.get("body", "") if request.method == "POST" else ""
    error = ""
    if request.method == "POST":
        try:
            topic = forums.ask(author=request.user, title=title, body=body)
        except forums.ForumError as exc:
            error = str(exc)
        else:
            return redirect("portal:community_topic", topic.pk)
    return render(
        request,
        "portal/community_ask.html",
        {"title": title, "body": body, "error": error},
        status=422 if error else 200,
    )


def _back(topic_id: int, anchor: str = "") -> HttpResponse:
    url = reverse("portal:community_topic", args=[topic_id])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _act(request: HttpRequest, topic_id: int, action: object) -> HttpResponse:
    """Run a forum service; a refusal is shown on the topic page."""
    try:
        result = action()  # type: ignore[operator]
    except forums.ForumError as exc:
        messages.error(request, str(exc))
        return _back(topic_id)
    anchor = f"reply-{result.pk}" if isinstance(result, ForumReply) else ""
    return _back(topic_id, anchor)


@require_POST
@login_required(login_url="portal:login")
def answer(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = _topic(request, topic_id)
    body = request.POST.get("body", "")
    return _act(
        request, topic.pk, lambda: forums.answer(topic=topic, author=request.user, body=body)
    )


def _reply(request: HttpRequest, topic_id: int, reply_id: int) -> ForumReply:
    topic = _topic(request, topic_id)
    replies = topic.replies.all()
    if not forums.is_moderator(request.user):
        replies = replies.filter(is_hidden=False)
    return get_object_or_404(replies, pk=reply_id)


@require_POST
@login_required(login_url="portal:login")
def vote(request: HttpRequest, topic_id: int, reply_id: int) -> HttpResponse:
    reply = _reply(request, topic_id, reply_id)
    value = {"up": 1, "down": -1, "clear": 0}.get(request.POST.get("vote", ""), 99)
    return _act(
        request, topic_id, lambda: forums.vote(reply=reply, voter=request.user, value=value)
    )


@require_POST
@login_required(login_url="portal:login")
def accept(request: HttpRequest, topic_id: int, reply_id: int) -> HttpResponse:
    reply = _reply(request, topic_id, reply_id)
    return _act(request, topic_id, lambda: forums.accept(reply=reply, actor=request.user))


@require_POST
@login_required(login_url="portal:login")
def moderate(request: HttpRequest, topic_id: int) -> HttpResponse:
    """Our team: hide or show the topic or one reply, lock or unlock, promote to an article."""
    topic = _topic(request, topic_id)
    what = request.POST.get("action", "")
    user = request.user
    if what == "promote":
        try:
            article = forums.promote(topic=topic, actor=user)
        except forums.ForumError as exc:
            messages.error(request, str(exc))
            return _back(topic.pk)
        return redirect(reverse("admin:knowledge_article_change", args=[article.pk]))
    actions = {
        "lock": lambda: forums.set_locked(topic=topic, locked=True, actor=user),
        "unlock": lambda: forums.set_locked(topic=topic, locked=False, actor=user),
        "hide": lambda: forums.set_hidden(post=topic, hidden=True, actor=user),
        "show": lambda: forums.set_hidden(post=topic, hidden=False, actor=user),
    }
    if what in ("hide_reply", "show_reply"):
        reply = _reply(request, topic.pk, int(request.POST.get("reply", "0") or 0))
        hidden = what == "hide_reply"
        return _act(
            request, topic.pk, lambda: forums.set_hidden(post=reply, hidden=hidden, actor=user)
        )
    if what not in actions:
        messages.error(request, "Unknown action.")
        return _back(topic.pk)
    return _act(request, topic.pk, actions[what])
