"""What each flow run publishes to Prefect: the run report (Markdown), the review table, and a
failure note. Keys are stable per flow, so the Prefect UI shows each key's history over runs."""

from __future__ import annotations

from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from crawler.report.summary import Section, render_markdown, summary_sections
from crawler.run_types import RunSummary


def publish_run_report(flow: str, summary: RunSummary, before: list[Section] | None = None) -> None:
    """`<flow>-run-report` (Markdown: the same sections the CLI prints, after `before`) and
    `<flow>-review` (the lowest-confidence records of the run, as a table)."""
    sections = [*(before or []), *summary_sections(summary)]
    create_markdown_artifact(
        markdown=render_markdown(sections, heading=f"corpus {flow} run {summary.run_id}"),
        key=f"{flow}-run-report",
        description=f"what the {flow} run did: counts, rejects, removals, time per stage",
    )
    create_table_artifact(
        table=review_table(summary),
        key=f"{flow}-review",
        description="the run's lowest-confidence records: check these first",
    )


def review_table(summary: RunSummary) -> list[dict[str, Any]]:
    return [{**row, "flags": "; ".join(row["flags"])} for row in summary.review]


def publish_failure(flow: str, dataset: str, error: BaseException) -> None:
    """`<flow>-run-report` for a run that failed: why, and that the dataset is unchanged."""
    create_markdown_artifact(
        markdown=(
            f"# corpus {flow} run failed\n\n"
            f"**{type(error).__name__}**: {error}\n\n"
            f"Nothing of this run was committed: the dataset `{dataset}` is as the last "
            "successful run left it (an interrupted commit is rolled back or completed by the "
            "next run).\n"
        ),
        key=f"{flow}-run-report",
        description=f"the {flow} run failed",
    )
