"""Turning Block Kit payloads into plain text, for transcripts and the terminal."""

from __future__ import annotations

import re
from typing import Any

_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")


def _plain(text: str) -> str:
    text = _LINK.sub(r"\2 (\1)", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def blocks_to_text(blocks: list[dict[str, Any]], *, indent: str = "") -> str:
    """A readable rendering of blocks: headers, sections, fields, context, buttons."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = block["text"]["text"]
            lines += [title, "=" * len(title)]
        elif kind == "section":
            if block.get("text"):
                lines.append(_plain(block["text"]["text"]))
            lines += [_plain(f["text"]) for f in block.get("fields", [])]
        elif kind == "context":
            lines.append("  " + " ".join(_plain(e.get("text", "")) for e in block["elements"]))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            labels = [e.get("text", {}).get("text", "?") for e in block["elements"]]
            lines.append("  " + "  ".join(f"[{label}]" for label in labels))
    return "\n".join(indent + line for text in lines for line in text.split("\n"))
