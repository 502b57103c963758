"""Reports of a fit: one self-contained HTML file, or Markdown with PNG files."""

from __future__ import annotations

from .content import Document, build_document
from .html import write_html
from .markdown import write_markdown

__all__ = ["Document", "build_document", "write_html", "write_markdown"]
