"""Self-contained HTML pages for the report (`snakemake --report`): the audit and every table."""

from __future__ import annotations

import html

import pandas as pd

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.5em; }
p { max-width: 60em; line-height: 1.4; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; vertical-align: top; text-align: left; }
th { background: #f2f2f2; position: sticky; top: 0; }
td.num { text-align: right; white-space: nowrap; }
.reproduced { background: #dff0d8; } .not-reproduced { background: #f2dede; } .inconclusive { background: #f5f5f5; }
.summary span { display: inline-block; padding: 0.2em 0.6em; margin-right: 0.5em; border-radius: 0.3em; }
"""


def escape(text) -> str:
    return html.escape(str(text))


def page(title: str, body: str, extra_style: str = "") -> str:
    return (
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{STYLE}{extra_style}</style></head><body>\n<h1>{escape(title)}</h1>\n{body}\n</body></html>\n"
    )


def table_page(title: str, table: pd.DataFrame) -> str:
    """One results table as a page: numbers to three significant figures, as in the .md tables."""

    def cell(value):
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return "–"
        return f"{value:.3g}" if isinstance(value, float) else value

    body = table.rename_axis(columns=None).map(cell).to_html(index=False, border=0)
    return page(title, body, "td { text-align: right; }")
