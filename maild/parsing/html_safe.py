"""A mail's HTML made safe to show in a browser: formatting and text kept, anything active gone.

Pure: text in, text out.  nh3 (the ammonia sanitiser) works from an allow
list, so whatever is not named below (scripts, frames, forms, plugins,
event handlers, styles) is dropped; it is imported on first use.
"""

from __future__ import annotations

import re

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_TAGS = {
    "p", "br", "div", "span", "b", "i", "u", "strong", "em", "a", "ul", "ol", "li",
    "table", "thead", "tbody", "tr", "td", "th", "img", "blockquote", "pre", "code", "hr", "font",
    *_HEADINGS,
}
# Dropped with their content, not just their tags: script and style text is no reading matter.
_DROPPED_WITH_CONTENT = {
    "script", "style", "iframe", "object", "embed", "applet", "frameset", "noscript", "template", "head", "title",
}
_ATTRIBUTES = {
    "*": {"title", "align"},
    "a": {"href"},
    "img": {"src", "alt"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "font": {"color", "face", "size"},
}
# Web and mail links, and cid: for the mail's own inline images; no javascript:, vbscript:, data:.
_URL_SCHEMES = {"http", "https", "mailto", "cid"}
_LINK_REL = "noopener noreferrer nofollow"
_URL_ATTRIBUTES = ("href", "src")
_HAS_SCHEME = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.-]*:")


def sanitised_html(html: str) -> str:
    """The HTML with only harmless formatting, text, links and images left."""
    import nh3  # first use only: start-up need not load it

    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel=_LINK_REL,
        attribute_filter=_absolute_urls_only,
        strip_comments=True,
    )


def _absolute_urls_only(tag: str, attribute: str, value: str) -> str | None:
    """Drop a relative link or image: in a mail it means nothing, and shown on a web page of
    ours it would point at that page's own site. An image only from the mail itself (cid:): a
    remote one would tell its sender when staff opened the mail."""
    if attribute in _URL_ATTRIBUTES and not _HAS_SCHEME.match(value):
        return None
    if tag == "img" and attribute == "src" and not value.strip().lower().startswith("cid:"):
        return None
    return value
