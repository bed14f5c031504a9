"""Measuring quality: eval run, eval compare, eval export-feedback."""

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from db import StoreConfig, open_stores
from evals.results import Run
from slack_helper.commands.common import (
    JsonOption,
    WorkspaceOption,
    number,
    out,
    print_json,
    settings,
    stores,
    workspace,
)
from slack_helper.console import err_console
from slack_helper.wiring import build_runner

eval_app = typer.Typer(help="Measure retrieval and answer quality.", no_args_is_help=True)


@eval_app.command("run")
def eval_run(
    dataset: Annotated[Path, typer.Option(help="A JSONL dataset (see evals/datasets).")],
    retrieval: Annotated[
        str, typer.Option(help="keyword, semantic, hybrid or all (side by side).")
    ] = "all",
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Where the reports go (default: eval-runs/<name>-<time>)."),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Embedded stores to import into and keep (default: a scratch dir)."),
    ] = None,
    gate: Annotated[
        bool, typer.Option(help="Exit 1 if below the thresholds in evals/thresholds.json.")
    ] = False,
    judge: Annotated[
        bool, typer.Option(help="Also grade answers with the configured model (LLM judge).")
    ] = False,
    split: Annotated[
        str,
        typer.Option(
            help="dev (the cases to look at while building), test (held out: run it only to "
            "report) or all."
        ),
    ] = "all",
    as_json: JsonOption = False,
) -> None:
    """Import what a dataset needs, run every case, print a table and write the reports."""
    from evals.dataset import load_dataset
    from evals.gate import check_thresholds
    from evals.report import write_reports
    from evals.runner import SIDES, run_dataset

    if retrieval != "all" and retrieval not in SIDES:
        raise typer.BadParameter("use keyword, semantic, hybrid or all", param_hint="--retrieval")
    sides = SIDES if retrieval == "all" else tuple(s for s in SIDES if s == retrieval)
    config = settings()
    if judge and not config.llm_model:
        raise typer.BadParameter("the judge needs SLACK_HELPER_LLM_MODEL", param_hint="--judge")
    if split not in ("dev", "test", "all"):
        raise typer.BadParameter("use dev, test or all", param_hint="--split")
    data = load_dataset(dataset).only(None if split == "all" else split)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="slack-helper-eval-") as scratch:
        root = data_dir or Path(scratch)
        scratch_stores = StoreConfig(
            data_dir=root, embedding_batch_size=config.embedding_batch_size
        )
        with open_stores(scratch_stores) as opened:
            runner = build_runner(opened, config)
            run = run_dataset(
                runner, data, root, sides=sides, judge_model=runner.model if judge else None
            )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    name = dataset.stem if split == "all" else f"{dataset.stem}-{split}"
    paths = write_reports(run, out_dir or Path("eval-runs") / f"{name}-{stamp}")
    if as_json:
        print_json(run.summary)
    else:
        table = Table("side", "recall@1", "recall@5", "recall@10", "mrr", "ndcg@10")
        for side, scores in run.summary.retrieval.items():
            table.add_row(side, *(f"{v:.3f}" for v in scores.values()))
        out.print(table)
        for name, value in run.summary.answer.items():
            out.print(f"{name}: {number(value)}")
        latency = run.summary.latency_ms
        out.print(f"latency p50/p95: {latency['p50']}/{latency['p95']} ms")
        err_console.print(f"reports: {paths['markdown']} and {paths['html']}")
    if gate:
        failures = check_thresholds(dataset.name, run.summary)
        for failure in failures:
            err_console.print(f"[red]below threshold:[/] {failure}")
        if failures:
            raise typer.Exit(1)


@eval_app.command("fit-fusion")
def eval_fit_fusion(
    datasets: Annotated[list[Path], typer.Option("--dataset", help="Datasets to fit on.")],
    split: Annotated[str, typer.Option(help="dev (fit) or test (check a weight).")] = "dev",
    as_json: JsonOption = False,
) -> None:
    """Fit hybrid search's semantic weight on the datasets' retrieval cases (dev split)."""
    from evals.dataset import load_dataset
    from evals.fusion_fit import fit_fusion

    if split not in ("dev", "test"):
        raise typer.BadParameter("use dev or test", param_hint="--split")
    loaded = [load_dataset(d).only(split) for d in datasets]  # type: ignore[arg-type]
    config = settings()
    with tempfile.TemporaryDirectory(prefix="slack-helper-fit-") as scratch:
        scratch_stores = StoreConfig(
            data_dir=Path(scratch), embedding_batch_size=config.embedding_batch_size
        )
        with open_stores(scratch_stores) as opened:
            fit = fit_fusion(opened, loaded, Path(scratch))
    if as_json:
        print_json(fit)
        return
    table = Table("weight", *fit.datasets, "mean")
    for weight, mean in fit.mean_by_weight.items():
        table.add_row(
            weight, *(f"{d.by_weight[weight]:.3f}" for d in fit.datasets.values()), f"{mean:.3f}"
        )
    out.print(table)
    for name, d in fit.datasets.items():
        out.print(f"{name}: {d.cases} cases; keyword {d.keyword:.3f}, semantic {d.semantic:.3f}")
    out.print(f"fitted weight: {fit.weight:.2f}")


@eval_app.command("compare")
def eval_compare(
    run_a: Annotated[Path, typer.Argument(help="The earlier run: its folder or run.json.")],
    run_b: Annotated[Path, typer.Argument(help="The later run: its folder or run.json.")],
    as_json: JsonOption = False,
) -> None:
    """What got better and worse between two runs of a dataset, case by case."""
    from evals.compare import compare

    result = compare(_load_run(run_a), _load_run(run_b))
    if as_json:
        print_json(result)
        return
    table = Table("metric", "before", "after", "change")
    for metric, (before, after) in result.summary.items():
        change = "" if before is None or after is None else f"{after - before:+.3f}"
        table.add_row(metric, number(before), number(after), change)
    out.print(table)
    for title, changes in (("better", result.better), ("worse", result.worse)):
        out.print(f"[bold]{title}:[/] {len(changes)}")
        for c in changes:
            out.print(f"  {c.case} {c.metric}: {c.before:.2f} -> {c.after:.2f}")


@eval_app.command("table")
def eval_table(
    runs: Annotated[list[Path], typer.Argument(help="Runs: their folders or run.json files.")],
    label: Annotated[
        str | None,
        typer.Option(help="The split column for every row (default: each run's split)."),
    ] = None,
) -> None:
    """The README's eval table (Markdown), one row per run: recall@10 per side, facts, the
    unanswerable questions refused and the answerable ones answered, as counts."""
    from evals.table import header, table_row

    rows = [table_row(_load_run(path), label) for path in runs]
    print(header(rows[0].sides))  # the first run's sides name the column
    for row in rows:
        print(row.markdown())


@eval_app.command("export-feedback")
def eval_export_feedback(
    out_file: Annotated[Path, typer.Option("--out", help="JSONL file to write.")],
    workspace_key: WorkspaceOption = None,
    export: Annotated[
        str | None, typer.Option(help="The export the cases run on (written as the default).")
    ] = None,
) -> None:
    """Write the bot's 👍/👎-rated answers as an eval dataset."""
    from bot.feedback import export_feedback

    with stores() as opened:
        target = workspace(opened, workspace_key).workspace_id
        count = export_feedback(opened, target, out_file, export)
    out.print(f"{count} rated answers written to {out_file}")


def _load_run(path: Path) -> Run:
    file = path / "run.json" if path.is_dir() else path
    if not file.is_file():
        raise typer.BadParameter(f"{file} does not exist; pass a run's folder or its run.json")
    try:
        return Run.model_validate_json(file.read_text())
    except ValidationError as exc:
        raise typer.BadParameter(
            f"{file} is not a run.json written by `slack-helper eval run` "
            f"({exc.error_count()} problems, first: {exc.errors()[0]['msg']})"
        ) from exc
