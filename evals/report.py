"""An eval run as Markdown and as one self-contained HTML page with SVG charts."""

import html
import json
from pathlib import Path

from evals import metrics
from evals.results import RETRIEVAL_METRICS, CaseResult, Run

WORST = 8
_COLOURS = {"keyword": "#e07b39", "semantic": "#3b7dd8", "hybrid": "#2a9d5c"}


def write_reports(run: Run, out: Path) -> dict[str, Path]:
    """run.json, report.md and report.html under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "run.json", "markdown": out / "report.md", "html": out / "report.html"}
    paths["json"].write_text(run.model_dump_json(indent=2))
    paths["markdown"].write_text(markdown(run))
    paths["html"].write_text(html_page(run))
    return paths


def worst_cases(run: Run) -> list[CaseResult]:
    """Answerable cases where hybrid retrieval did worst, then answers covered fewest facts."""
    scored = [c for c in run.cases if c.answerable and c.relevant and "hybrid" in c.retrieval]
    return sorted(
        scored,
        key=lambda c: (c.retrieval["hybrid"].scores["recall@10"], c.answer.fact_coverage),
    )[:WORST]


def markdown(run: Run) -> str:
    """Tables of the summary, per kind, and the worst cases with what was retrieved."""
    s = run.summary
    lines = [f"# Eval: {Path(run.dataset).name} ({s.cases} cases, {run.mode} mode)", ""]
    lines += ["## Retrieval", "", "| side | " + " | ".join(RETRIEVAL_METRICS) + " |"]
    lines.append("|---" * (len(RETRIEVAL_METRICS) + 1) + "|")
    for side, scores in s.retrieval.items():
        lines.append(
            f"| {side} | " + " | ".join(f"{scores[m]:.3f}" for m in RETRIEVAL_METRICS) + " |"
        )
    lines += ["", "## Answers", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in s.answer.items()]
    lines += [f"| latency p50 / p95 (ms) | {s.latency_ms['p50']} / {s.latency_ms['p95']} |", ""]
    if run.by_kind:
        columns = list(next(iter(run.by_kind.values())))
        lines += ["## By kind", "", "| kind | " + " | ".join(columns) + " |"]
        lines.append("|---" * (len(columns) + 1) + "|")
        for kind, row in run.by_kind.items():
            lines.append(f"| {kind} | " + " | ".join(_fmt(row[c]) for c in columns) + " |")
        lines.append("")
    lines += ["## Worst cases", ""]
    for case in worst_cases(run):
        hybrid = case.retrieval["hybrid"]
        lines.append(
            f"- **{case.id}** ({case.kind}) {case.question} — hybrid recall@10 "
            f"{hybrid.scores['recall@10']:.2f}, facts {case.answer.fact_coverage:.2f}; "
            f"wanted {', '.join(case.relevant)}; got {', '.join(hybrid.ranked[:5]) or 'nothing'}"
        )
    return "\n".join(lines) + "\n"


def html_page(run: Run) -> str:
    """The same content with bar charts per side, per kind, and a latency histogram."""
    s = run.summary
    parts = [
        "<!doctype html><meta charset='utf-8'>",
        f"<title>Eval {html.escape(Path(run.dataset).name)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem}"
        "svg{display:block;margin:1rem 0}</style>",
        f"<h1>{html.escape(Path(run.dataset).name)}: {s.cases} cases, {run.mode} mode</h1>",
        "<h2>Retrieval by side</h2>",
        _grouped_bars(
            {
                m: {side: scores[m] for side, scores in s.retrieval.items()}
                for m in RETRIEVAL_METRICS
            }
        ),
        "<h2>Recall@10 by case kind</h2>",
        _grouped_bars(
            {
                kind: {
                    side: row.get(f"{side} recall@10") or 0.0
                    for side in s.retrieval
                    if f"{side} recall@10" in row
                }
                for kind, row in run.by_kind.items()
            }
        ),
        "<h2>Answers</h2><table>",
        *(f"<tr><th>{k}</th><td>{_fmt(v)}</td></tr>" for k, v in s.answer.items()),
        f"<tr><th>latency p50 / p95</th><td>{s.latency_ms['p50']} / {s.latency_ms['p95']} ms"
        "</td></tr></table>",
        "<h2>Answer latency</h2>",
        _histogram([c.answer.latency_ms for c in run.cases]),
        "<h2>Worst cases</h2><table><tr><th>case</th><th>question</th><th>recall@10</th>"
        "<th>wanted</th><th>retrieved (hybrid, top 5)</th></tr>",
    ]
    for case in worst_cases(run):
        hybrid = case.retrieval["hybrid"]
        parts.append(
            f"<tr><td>{case.id}</td><td>{html.escape(case.question)}</td>"
            f"<td>{hybrid.scores['recall@10']:.2f}</td>"
            f"<td>{html.escape(', '.join(case.relevant))}</td>"
            f"<td>{html.escape(', '.join(hybrid.ranked[:5]))}</td></tr>"
        )
    parts.append("</table>")
    parts.append(
        f"<script type='application/json' id='summary'>{json.dumps(s.model_dump())}</script>"
    )
    return "\n".join(parts)


def _grouped_bars(groups: dict[str, dict[str, float]]) -> str:
    """One group of bars per key, one bar per side, values 0..1."""
    width, height, bar = 720, 200, 14
    sides = sorted({side for values in groups.values() for side in values})
    step = width / max(len(groups), 1)
    shapes = []
    for g, (label, values) in enumerate(groups.items()):
        for i, side in enumerate(sides):
            value = values.get(side, 0.0)
            x = g * step + 10 + i * (bar + 2)
            h = value * (height - 40)
            shapes.append(
                f"<rect x='{x:.0f}' y='{height - 20 - h:.0f}' width='{bar}' height='{h:.0f}' "
                f"fill='{_COLOURS.get(side, '#888')}'>"
                f"<title>{side} {label}: {value:.3f}</title></rect>"
            )
        shapes.append(
            f"<text x='{g * step + 10:.0f}' y='{height - 5}' font-size='11'>"
            f"{html.escape(label)}</text>"
        )
    legend = " ".join(
        f"<tspan fill='{_COLOURS.get(side, '#888')}'>■ {side}</tspan>" for side in sides
    )
    shapes.append(f"<text x='10' y='14' font-size='12'>{legend}</text>")
    return f"<svg width='{width}' height='{height}' role='img'>{''.join(shapes)}</svg>"


def _histogram(values: list[float], buckets: int = 12) -> str:
    if not values:
        return "<p>no cases</p>"
    width, height = 720, 160
    top = max(values) or 1.0
    counts = [0] * buckets
    for v in values:
        counts[min(int(v / top * buckets), buckets - 1)] += 1
    most = max(counts)
    step = width / buckets
    shapes = [
        f"<rect x='{i * step:.0f}' y='{height - 20 - c / most * (height - 30):.0f}' "
        f"width='{step - 2:.0f}' height='{c / most * (height - 30):.0f}' fill='#3b7dd8'>"
        f"<title>{i * top / buckets:.0f}-{(i + 1) * top / buckets:.0f} ms: {c}</title></rect>"
        for i, c in enumerate(counts)
    ]
    shapes.append(
        f"<text x='0' y='{height - 5}' font-size='11'>0 ms</text>"
        f"<text x='{width - 80}' y='{height - 5}' font-size='11'>{top:.0f} ms "
        f"(p95 {metrics.percentile(values, 95):.0f})</text>"
    )
    return f"<svg width='{width}' height='{height}' role='img'>{''.join(shapes)}</svg>"


def _fmt(value) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)
