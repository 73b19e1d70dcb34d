"""The agreement page: one self-contained HTML page of judge-human agreement (harness agreement --html)."""

from __future__ import annotations

from pathlib import Path

import jinja2

from harness.analysis.agreement import VERDICTS, Agreement
from harness.files import atomic_write


def write_agreement_html(result: Agreement, run_id: str, page: Path) -> Path:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("harness.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    html = env.get_template("agreement.j2").render(a=result, run_id=run_id, verdicts=VERDICTS)
    atomic_write(page, html.encode("utf-8"))
    return page
