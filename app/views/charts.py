"""Charts as data: a chart is categories × series (each value may link to the list behind it).

The same object renders as an Apache ECharts figure (served from app/static/vendor/echarts, never a CDN)
and as the table beside it, so a figure and its numbers can never disagree. Colours of urgency are the
lights' colours everywhere: green / yellow / red / grey = on time / warning / overdue / paused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

# Bootstrap 3's success / warning / danger / default, the colours of the light badges in every list.
LIGHT_COLOURS: dict[str, str] = {"green": "#5cb85c", "yellow": "#f0ad4e", "red": "#d9534f", "paused": "#999999"}
# Series that are not lights: blues and neutrals that never read as "late" or "fine".
PALETTE: tuple[str, ...] = ("#337ab7", "#5bc0de", "#2c4f75", "#8fb4d9", "#6f5499", "#a3a3a3", "#1b6d85", "#c7d9ec")
KINDS = ("bar", "hbar", "line", "pie")


@dataclass
class Series:
    """One named row of values over the chart's categories; `urls` lead to the rows behind each value."""

    name: str
    values: list[float | int | None]
    color: str | None = None
    urls: list[str | None] | None = None
    stack: str | None = None
    colors: list[str] | None = None  # one colour per category (a pie of lights, bars coloured by light)

    def url(self, index: int) -> str | None:
        return self.urls[index] if self.urls and index < len(self.urls) else None


@dataclass
class Chart:
    """A figure: its html id, title, categories (x axis or slices), series, kind and unit."""

    key: str
    title: str
    categories: list[str]
    series: list[Series] = field(default_factory=list)
    kind: str = "bar"
    unit: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown chart kind {self.kind!r}")

    @property
    def empty(self) -> bool:
        return not self.categories or all(not any(v for v in s.values) for s in self.series)

    def spec(self) -> dict[str, Any]:
        """The JSON handed to app/static/charts.js."""
        return {
            "kind": self.kind,
            "unit": self.unit,
            "categories": [str(c) for c in self.categories],
            "series": [
                {
                    "name": str(s.name),
                    "color": s.color or PALETTE[i % len(PALETTE)],
                    "stack": s.stack,
                    "colors": s.colors,
                    "data": [
                        {"value": _number(v), "url": s.url(j)} for j, v in enumerate(s.values[: len(self.categories)])
                    ],
                }
                for i, s in enumerate(self.series)
            ],
        }

    def json(self) -> Markup:
        """The spec as an HTML-attribute-safe JSON string."""
        return Markup.escape(json.dumps(self.spec(), ensure_ascii=False))


def _number(value: Any) -> float | int | None:
    """Numbers for JSON: Decimal and other numerics become float, None stays None (no bar)."""
    if value is None or isinstance(value, int | float):
        return value
    return float(value)
