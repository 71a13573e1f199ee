"""A small HTML-to-Markdown conversion for the local `html_to_markdown` heroku_tool.

Headings, paragraphs, links, emphasis, code, lists, block quotes and line breaks; scripts, styles,
navigation chrome and forms are dropped. Good enough for a model to read a documentation page.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_markdown"]

_SKIP = {"script", "style", "noscript", "template", "svg", "nav", "footer", "form", "head", "iframe"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "table", "tr", "figure", "dl", "body"}
_INLINE = {"code": "`", "strong": "**", "b": "**", "em": "*", "i": "*"}


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.pre = 0
        self.lists: list[str] = []
        self.href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        if self.skip:
            return
        if re.fullmatch(r"h[1-6]", tag):
            self.out.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in _BLOCK or tag == "blockquote":
            self.out.append("\n\n> " if tag == "blockquote" else "\n\n")
        elif tag == "br":
            self.out.append("  \n")
        elif tag in ("ul", "ol"):
            self.lists.append(tag)
            self.out.append("\n")
        elif tag == "li":
            marker = "1." if self.lists and self.lists[-1] == "ol" else "-"
            self.out.append("\n" + "  " * max(0, len(self.lists) - 1) + marker + " ")
        elif tag == "pre":
            self.pre += 1
            self.out.append("\n\n```\n")
        elif tag in _INLINE:
            self._inline_mark(tag)
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
            self.out.append("[")
        elif tag in ("td", "th"):
            self.out.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if re.fullmatch(r"h[1-6]", tag) or tag in _BLOCK:
            self.out.append("\n\n")
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
            self.out.append("\n")
        elif tag == "pre" and self.pre:
            self.pre -= 1
            self.out.append("\n```\n\n")
        elif tag in _INLINE:
            self._inline_mark(tag)
        elif tag == "a":
            href = self.href.pop() if self.href else None
            self.out.append(f"]({href})" if href else "]")

    def _inline_mark(self, tag: str) -> None:
        """The same mark opens and closes an inline tag; code inside <pre> has none."""
        if not (tag == "code" and self.pre):
            self.out.append(_INLINE[tag])

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self.out.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_markdown(html: str) -> str:
    converter = _Converter()
    converter.feed(html)
    converter.close()
    text = "".join(converter.out)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"
