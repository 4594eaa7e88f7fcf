"""Jinja2 templates → text and HTML bodies. Sandboxed: admins edit templates, not code;
StrictUndefined: a misspelt variable is an error at once, not an empty line sent to a customer.

Templates write each paragraph on one line: the text part is wrapped here (outgoing.layout), and
a space goes wherever Chinese text meets a Latin value, in both parts."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, MutableMapping

import hashlib

import jinja2
from jinja2 import FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape
from jinja2.ext import Extension
from jinja2.sandbox import SandboxedEnvironment

from ..config import HelpdeskConfig
from ..errors import TemplateFault
from . import layout
from .layout import space_after, space_before, spaced_source, wrap

LANGUAGES = ("zh", "en")
KINDS = ("ack", "assigned", "alert", "reply", "customer-reply", "unverified", "command-error", "resolved",
         "complex", "progress", "reminder", "escalation", "survey",
         "unsatisfied", "report", "automatic-cap", "bounce", "too-large")  # the mails maild writes; each has a .txt and an .html template per language
PAGES = ("survey-page", "survey-thanks")  # the survey endpoint's pages: an .html template per language


@dataclass(frozen=True)
class Rendered:
    text: str
    html: str


def default_templates_dir() -> Path:
    """The checkout's `templates/`, else the copy `pip install` put under the prefix."""
    checkout = Path(__file__).resolve().parents[2] / "templates"
    return checkout if checkout.is_dir() else Path(sys.prefix) / "share" / "maild" / "templates"


def renderer_for(helpdesk: HelpdeskConfig, compiled_dir: Path | None = None) -> "Renderer":
    """The configured templates (or the shipped ones), every one of them loaded once; with
    `compiled_dir`, each compiled once and kept there for the next start."""
    renderer = Renderer(Path(helpdesk.templates_dir) if helpdesk.templates_dir else default_templates_dir(),
                        compiled_dir)
    renderer.check(KINDS, PAGES)
    return renderer


def compiled_cache(directory: Path) -> FileSystemBytecodeCache | None:
    """Compiling every template costs a start a quarter of a second; Jinja keeps each compiled
    one by its source's checksum. Its code also depends on how maild preprocesses a template and
    on Jinja itself: they name the folder, so an upgrade never reuses a stale one. None when the
    folder cannot be made (the templates are compiled at every start then)."""
    made_by = hashlib.sha256(Path(layout.__file__).read_bytes() + Path(__file__).read_bytes()
                             + jinja2.__version__.encode()).hexdigest()[:12]
    folder = directory / made_by
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(folder))


class Renderer:
    def __init__(self, templates_dir: Path, compiled_dir: Path | None = None) -> None:
        self.templates_dir = templates_dir
        self._env = _Environment(
            bytecode_cache=compiled_cache(compiled_dir) if compiled_dir else None,
            loader=FileSystemLoader(str(templates_dir)),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            keep_trailing_newline=True,
            extensions=[_SpacedValues],
        )
        self._env.filters.update(space_before=space_before, space_after=space_after)

    def render(self, kind: str, language: str, context: dict[str, Any]) -> Rendered:
        language = language if language in LANGUAGES else "en"
        text = self._env.get_template(f"{language}/{kind}.txt").render(context)
        html = self._env.get_template(f"{language}/{kind}.html").render(context)
        return Rendered(wrap(text), html)

    def page(self, name: str, language: str, context: dict[str, Any]) -> str:
        """A web page (PAGES) in the reader's language."""
        return self._env.get_template(f"{language if language in LANGUAGES else 'en'}/{name}.html").render(context)

    def check(self, kinds: tuple[str, ...], pages: tuple[str, ...] = ()) -> str:
        """Load every template once, so a missing file or a syntax error shows at start, not at
        the first mail."""
        names = [f"{language}/{kind}.{suffix}" for language in LANGUAGES for kind in kinds
                 for suffix in ("txt", "html")] + [f"{language}/{page}.html" for language in LANGUAGES
                                                   for page in pages]
        for name in names:
            try:
                self._env.get_template(name)
            except TemplateError as exc:
                raise TemplateFault(f"template {self.templates_dir / name}: {exc}") from exc
        return f"{len(names)} templates in {self.templates_dir} ok"


class _Environment(SandboxedEnvironment):
    """Each template's globals as one plain dict: Jinja's default, a ChainMap over the
    environment's, is copied key by key on every render, a fifth of rendering a notice. Nothing
    changes the globals once templates load."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


class _SpacedValues(Extension):
    """Every template, as it loads, gets the spaces between Chinese text and Latin values."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return spaced_source(source)
