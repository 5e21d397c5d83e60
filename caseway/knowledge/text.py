"""Text of articles for people and for search: plain text from sanitised HTML, body chunks
for embeddings, lexical tokens, and snippets with the query words marked."""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape
from html.parser import HTMLParser

BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "blockquote", "pre", "tr",
    "table", "hr",
}  # fmt: skip
WORD = re.compile(r"\w+", re.UNICODE)
# Words too common to tell articles apart; left out of lexical scoring and highlighting.
STOPWORDS = frozenset(
    {
        "a", "about", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by",
        "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "how", "i", "if",
        "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our", "please", "so",
        "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to",
        "too", "us", "was", "we", "were", "what", "when", "where", "which", "who", "why", "will",
        "with", "would", "you", "your",
    }
)  # fmt: skip
CHUNK_WORDS = 80
MAX_CHUNKS = 20


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of (sanitised) HTML: block elements become line breaks, runs of spaces one."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def chunk_text(text: str, *, words: int = CHUNK_WORDS, limit: int = MAX_CHUNKS) -> list[str]:
    """Paragraphs packed into chunks of about `words` words (long ones cut), at most `limit`."""
    chunks: list[str] = []
    current: list[str] = []
    for paragraph in text.split("\n"):
        tokens = paragraph.split()
        while tokens:
            room = words - len(current)
            current.extend(tokens[:room])
            tokens = tokens[room:]
            if len(current) >= words:
                chunks.append(" ".join(current))
                current = []
    if current:
        chunks.append(" ".join(current))
    return chunks[:limit]


def tokenize(text: str) -> list[str]:
    """Lower-case words without stopwords, each cut to a crude stem (see `stem`)."""
    return [stem(word) for word in WORD.findall(text.lower()) if word not in STOPWORDS]


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A light English suffix strip: enough for password/passwords, reset/resetting."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def snippet(text: str, query: str, *, width: int = 30) -> str:
    """About `width` words of `text` around the densest run of query words, HTML-escaped, with
    the query words wrapped in <mark>. Falls back to the start of the text."""
    wanted = set(tokenize(query))
    matches = list(WORD.finditer(text))
    if not matches:
        return escape(text[:200])
    hits = [i for i, m in enumerate(matches) if wanted and stem(m.group().lower()) in wanted]
    start = 0
    if hits:
        best = max(hits, key=lambda i: sum(1 for j in hits if i <= j < i + width))
        start = max(0, best - width // 4)
    end = min(len(matches), start + width)
    begin_at = matches[start].start()
    end_at = matches[end - 1].end()
    out: list[str] = ["… " if start > 0 else ""]
    cursor = begin_at
    for m in matches[start:end]:
        if stem(m.group().lower()) in wanted:
            out.append(escape(text[cursor : m.start()]))
            out.append(f"<mark>{escape(m.group())}</mark>")
            cursor = m.end()
    out.append(escape(text[cursor:end_at]))
    if end < len(matches):
        out.append(" …")
    return "".join(out).replace("\n", " ")
