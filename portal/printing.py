"""Printed documents (WeasyPrint) from HTML templates extending ``pdf/base.html``.

Shared by every app that prints (billing's histories and receipts, the reservations follow-up
and attendance lists, the invitation letters) so they all refuse external resources the same
way: fonts are the system's, no URL is ever fetched.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

# WeasyPrint logs every layout step at INFO; keep the server logs for what matters.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _url_fetcher_refusing_everything(url, *args, **kwargs):
    raise ValueError(f"no external resource in printed documents: {url}")


def html_to_pdf(html: str) -> bytes:
    """The PDF of one document."""
    from weasyprint import HTML  # imported lazily: it loads Pango/Cairo

    return HTML(string=html, url_fetcher=_url_fetcher_refusing_everything).write_pdf()


def htmls_to_pdf(htmls: Iterable[str]) -> bytes:
    """One PDF of several documents, each starting on a new page with its own page numbers
    (e.g. one letter per family: each keeps its letterhead and "Page 1 / 1")."""
    from weasyprint import HTML

    documents = [HTML(string=html, url_fetcher=_url_fetcher_refusing_everything).render() for html in htmls]
    if not documents:
        raise ValueError("nothing to print")
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()
