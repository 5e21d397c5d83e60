"""Quoted history trimmed for display; the whole message stays in the raw email.

Plain text goes through mail-parser-reply (maintained, multi-language "On ... wrote:" and
Outlook "From: ... Sent:" separators, signatures). HTML is cut at the first quote container
the common clients write (Gmail, Apple Mail, Thunderbird, Outlook desktop and web); nh3
closes whatever the cut leaves open when the HTML is sanitised.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "sv", "da", "pl", "cs", "ja", "zh", "ko")

# The start tags clients open a quoted message with.
_HTML_QUOTE_STARTS = (
    re.compile(r"<div[^>]*\bclass=[\"'][^\"']*\bgmail_quote\b", re.IGNORECASE),
    re.compile(r"<blockquote[^>]*\btype=[\"']?cite\b", re.IGNORECASE),
    re.compile(r"<div[^>]*\bclass=[\"'][^\"']*\bmoz-cite-prefix\b", re.IGNORECASE),
    re.compile(r"<div[^>]*\bid=[\"'](?:appendonsend|divRplyFwdMsg)[\"']", re.IGNORECASE),
    re.compile(r"<hr[^>]*\bid=[\"']stopSpelling[\"']", re.IGNORECASE),
    re.compile(
        r"<div[^>]*style=[\"'][^\"']*border-top:\s*solid\s+#(?:E1E1E1|B5C4DF)", re.IGNORECASE
    ),
    re.compile(r"<div[^>]*\bclass=[\"'][^\"']*\byahoo_quoted\b", re.IGNORECASE),
)


@lru_cache(maxsize=1)
def _parser() -> EmailReplyParser:
    return EmailReplyParser(languages=list(LANGUAGES))


def trim_text(text: str) -> str:
    """The newest part of a plain-text reply, or the text itself when nothing is quoted."""
    if not text.strip():
        return text
    try:
        reply = _parser().parse_reply(text=text)
    except (ValueError, IndexError, re.error):
        return text
    return reply.strip() or text


def trim_html(html: str) -> str:
    """The HTML before the first quoted message, or the HTML itself when nothing is quoted
    (or nothing would be left)."""
    cut = min((m.start() for p in _HTML_QUOTE_STARTS if (m := p.search(html))), default=-1)
    if cut <= 0:
        return html
    head = html[:cut]
    return head if html_to_text(head).strip() else html


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table"})
    _SKIP = frozenset({"style", "script", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body (for messages that carry HTML only)."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    text = "".join(extractor.parts).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
