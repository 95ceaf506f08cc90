"""Jinja2 templates with autoescape everywhere, and the helpers every page uses.

Text comes from :mod:`rempart.i18n` by key (``{{ t("web.nav.bans") }}``); its parameters are
escaped like any value, so text from logs or nodes renders as text. Templates hold no inline
script or style (the CSP forbids both): behaviour lives in ``static/*.js``, data for scripts
in ``data-*`` attributes or JSON fetched from ``/api/...``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from rempart import __version__
from rempart.i18n import render

__all__ = [
    "ENVIRONMENT",
    "fmt_bytes",
    "fmt_duration",
    "fmt_number",
    "fmt_time",
    "page",
    "pick_language",
]

ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("rempart.web", "templates"),
    autoescape=True,  # every template, whatever its name
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def pick_language(
    user_choice: str | None, cookie: str | None, accept: str | None, default: str
) -> str:
    """ "fr" or "en": the user's choice, then the language cookie (before login), then the
    browser's Accept-Language (first of fr/en by weight), then ``default``."""
    for choice in (user_choice, cookie):
        if choice in ("fr", "en"):
            return choice
    best: tuple[float, str] | None = None
    for part in (accept or "")[:512].split(","):
        tag, _, params = part.strip().partition(";")
        base = tag.strip().lower()[:2]
        if base not in ("fr", "en"):
            continue
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                continue
        if not math.isfinite(weight) or weight <= 0:
            continue
        if best is None or weight > best[0]:
            best = (weight, base)
    return best[1] if best else default


def fmt_number(value: float | None, lang: str, digits: int = 1) -> str:
    """A number for people: French decimal comma and narrow no-break space between thousands."""
    if value is None or not math.isfinite(value):
        return "—"
    text = f"{value:,.{digits}f}" if abs(value) < 1e15 else f"{value:.3g}"
    if digits and "." in text:
        text = text.rstrip("0").rstrip(".")
    if lang == "fr":
        return text.replace(",", "\u202f").replace(".", ",")
    return text


def fmt_bytes(value: float | None, lang: str) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    units = (
        ("o", "Kio", "Mio", "Gio", "Tio", "Pio")
        if lang == "fr"
        else ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
    )
    size, unit = float(value), 0
    while abs(size) >= 1024 and unit < len(units) - 1:
        size /= 1024
        unit += 1
    return f"{fmt_number(size, lang, 1)} {units[unit]}"


def fmt_duration(seconds: float | None, lang: str) -> str:
    """'3 d 4 h', '12 min', '40 s' (French: 'j' for days)."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    s = int(abs(seconds))
    day = "j" if lang == "fr" else "d"
    if s >= 86400:
        return f"{s // 86400} {day} {s % 86400 // 3600} h"
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60} min"
    if s >= 60:
        return f"{s // 60} min"
    return f"{s} s"


def fmt_time(epoch: float | None, lang: str, *, seconds: bool = False) -> str:
    """Local time of the server, ISO-like ("2026-11-21 14:05")."""
    if epoch is None or not math.isfinite(epoch):
        return "—"
    local = datetime.fromtimestamp(epoch, tz=UTC).astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _now(request: Request) -> float:
    """The application's clock (tests freeze it), else the system's."""
    deps = getattr(request.app.state, "deps", None)
    return float(deps.clock.now()) if deps is not None else time.time()


def _static(path: str) -> str:
    return f"/static/{path}?v={__version__}"


def page(
    request: Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render ``template`` for ``request``: the user, the language, the CSRF field and the
    helpers are in every template's context."""
    lang: str = getattr(request.state, "lang", "en")
    csrf: str = getattr(request.state, "csrf", "")

    def t(key: str, **params: Any) -> str:
        return render(key, lang, **params)

    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="csrf" value="{}">').format(csrf)

    values: dict[str, Any] = {
        "request": request,
        "user": getattr(request.state, "user", None),
        "lang": lang,
        "csrf": csrf,
        "csrf_field": csrf_field,
        "t": t,
        "static": _static,
        "path": request.url.path,
        "now": _now(request),
        "number": lambda v, digits=1: fmt_number(v, lang, digits),
        "bytes": lambda v: fmt_bytes(v, lang),
        "duration": lambda v: fmt_duration(v, lang),
        "when": lambda v, seconds=False: fmt_time(v, lang, seconds=seconds),
    }
    values.update(context or {})
    body = ENVIRONMENT.get_template(template).render(values)
    return HTMLResponse(body, status_code=status)
