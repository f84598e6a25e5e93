"""Charts as SVG text, drawn on the server: readable in an HTML file, on a page and in a mail.

Every chart has a title, both axes with their units, ticks and labels, and a legend; colours are
backed by the legend's words, so the chart reads without colour too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from artsync.domain.predictability import BAND, Predictability
from artsync.domain.progress import Progress

WIDTH, HEIGHT = 640, 310
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 36, 74
COLOURS = ("#1f5fbf", "#1d7a46", "#a35c00", "#b3261e", "#6b3fa0", "#0f766e", "#9d174d", "#475569")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # None: no point there
    colour: str | None = None
    dashed: bool = False


def nice_ceiling(value: float) -> float:
    """A round top for the y axis: 1, 2, 2.5 or 5 times a power of ten, at least ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def frame(
    title: str, x_labels: Sequence[str], y_label: str, x_label: str, top: float, bottom: float = 0.0
) -> list[str]:
    """The title, axes, ticks and labels of a chart whose y axis runs ``bottom`` to ``top``."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="20" font-size="13" font-weight="600" fill="#1c2430">{escape(title)}</text>',
    ]
    for n in range(5):
        value = bottom + (top - bottom) * n / 4
        y = TOP + plot_h - plot_h * n / 4
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#e3e7ed"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5b6777">{value:g}</text>')
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#5b6777"/>')
    out.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="#5b6777"/>')
    for n, label in enumerate(x_labels):
        x = x_at(n, len(x_labels))
        out.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" fill="#5b6777">{escape(label)}</text>'
        )
    out.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{TOP + plot_h + 32}" text-anchor="middle" '
        f'fill="#1c2430">{escape(x_label)}</text>'
    )
    out.append(
        f'<text transform="translate(14 {TOP + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" '
        f'fill="#1c2430">{escape(y_label)}</text>'
    )
    return out


def x_at(n: int, count: int) -> float:
    plot_w = WIDTH - LEFT - RIGHT
    return LEFT + plot_w * (n + 0.5) / max(count, 1)


def y_at(value: float, top: float, bottom: float = 0.0) -> float:
    plot_h = HEIGHT - TOP - BOTTOM
    return TOP + plot_h - plot_h * (value - bottom) / ((top - bottom) or 1)


def legend(series: Sequence[Series], extra: Sequence[tuple[str, str]] = ()) -> list[str]:
    """One entry per series (a line) and per shaded area, wrapping onto a second row when the first is full."""
    out: list[str] = []
    x, row = float(LEFT), 0
    entries = [(s.colour or COLOURS[n % len(COLOURS)], s.name, s.dashed, False) for n, s in enumerate(series)]
    entries += [(colour, name, False, True) for colour, name in extra]
    for colour, name, dashed, area in entries:
        width = 30 + 6.5 * len(name)
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, row = LEFT, row + 1
        y = HEIGHT - 18 + 14 * row
        if area:
            out.append(f'<rect x="{x}" y="{y - 8}" width="18" height="9" fill="{colour}" fill-opacity="0.35"/>')
        else:
            dash = ' stroke-dasharray="5 3"' if dashed else ""
            out.append(
                f'<line x1="{x}" y1="{y - 4}" x2="{x + 18}" y2="{y - 4}" stroke="{colour}" stroke-width="3"{dash}/>'
            )
        out.append(f'<text x="{x + 22}" y="{y}" fill="#1c2430">{escape(name)}</text>')
        x += width
    return out


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_label: str,
    x_label: str,
    band: tuple[float, float] | None = None,
    band_label: str = "",
    minimum_top: float = 0.0,
) -> str:
    """Lines over categories (iterations, PIs), with an optional shaded band (a target range)."""
    values = [v for s in series for v in s.values if v is not None]
    top = nice_ceiling(max([*values, minimum_top, band[1] if band else 0.0], default=1.0))
    out = frame(title, x_labels, y_label, x_label, top)
    if band:
        y1, y2 = y_at(band[1], top), y_at(band[0], top)
        out.append(f'<rect x="{LEFT}" y="{y1:.1f}" width="{WIDTH - LEFT - RIGHT}" height="{y2 - y1:.1f}" '
                   f'fill="#1d7a46" fill-opacity="0.10"/>')  # fmt: skip
    for n, s in enumerate(series):
        colour = s.colour or COLOURS[n % len(COLOURS)]
        points = [(x_at(i, len(x_labels)), y_at(v, top)) for i, v in enumerate(s.values) if v is not None]
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>')
        for (x, y), v in zip(points, [v for v in s.values if v is not None], strict=True):
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(s.name)}: {v:g}</title></circle>"
            )
    if not values:
        middle = TOP + (HEIGHT - TOP - BOTTOM) / 2
        out.append(f'<text x="{LEFT + (WIDTH - LEFT - RIGHT) / 2:.1f}" y="{middle:.1f}" text-anchor="middle" '
                   f'fill="#5b6777">nothing measured yet</text>')  # fmt: skip
    out += legend(series, [("#1d7a46", band_label)] if band and band_label else [])
    out.append("</svg>")
    return "\n".join(out)


def bar_chart(title: str, x_labels: Sequence[str], series: Sequence[Series], *, y_label: str, x_label: str) -> str:
    """Grouped bars over categories (planned against done per iteration)."""
    values = [v for s in series for v in s.values if v is not None]
    top = nice_ceiling(max(values, default=1.0))
    out = frame(title, x_labels, y_label, x_label, top)
    slot = (WIDTH - LEFT - RIGHT) / max(len(x_labels), 1)
    width = slot * 0.7 / max(len(series), 1)
    for n, s in enumerate(series):
        colour = s.colour or COLOURS[n % len(COLOURS)]
        for i, v in enumerate(s.values):
            if v is None:
                continue
            x = LEFT + slot * i + slot * 0.15 + width * n
            y = y_at(v, top)
            tip = f"{escape(s.name)} {escape(x_labels[i])}: {v:g}"
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{y_at(0, top) - y:.1f}" '
                f'fill="{colour}"><title>{tip}</title></rect>'
            )
    out += legend(series)
    out.append("</svg>")
    return "\n".join(out)


def progress_of(progress: Sequence[Progress], scope: str) -> Progress:
    return next(p for p in progress if p.scope == scope)


def burn_up_svg(progress: Sequence[Progress], pi: str, scope: str = "train") -> str:
    """The burn-up of one scope (the train or a team) against the scope as it stands now."""
    p = progress_of(progress, scope)
    planned, done = p.burn_up
    labels = [it.label for it in p.iterations]
    return line_chart(
        f"Burn-up · {scope} · PI {pi}",
        labels,
        [
            Series("scope now", [p.scope_points] * len(labels), "#94a3b8", dashed=True),
            Series("planned (cumulative)", planned, "#1f5fbf"),
            Series("done (cumulative)", done, "#1d7a46"),
        ],
        y_label="points",
        x_label="iteration",
    )


def progress_svg(progress: Sequence[Progress], scope: str = "train") -> str:
    """Done against planned per iteration."""
    p = progress_of(progress, scope)
    return bar_chart(
        f"Done against planned per iteration · {scope}",
        [it.label for it in p.iterations],
        [
            Series("planned", [it.planned for it in p.iterations], "#1f5fbf"),
            Series("done", [it.done for it in p.iterations], "#1d7a46"),
        ],
        y_label="points",
        x_label="iteration",
    )


def trend_svg(scopes: Sequence[str], trend: Sequence[tuple[str, Sequence[Predictability]]]) -> str:
    """Predictability per PI, one line per scope, with the 80–100% band."""
    by_pi = {pi: {p.scope: p.percent for p in measures} for pi, measures in trend}
    pis = list(by_pi)
    series = [
        Series("train" if s == "train" else s, [by_pi[pi].get(s) for pi in pis], "#1c2430" if s == "train" else None)
        for s in scopes
    ]
    return line_chart(
        "Predictability per PI",
        pis,
        series,
        y_label="predictability (%)",
        x_label="PI",
        band=BAND,
        band_label="target 80–100%",
        minimum_top=120.0,
    )
