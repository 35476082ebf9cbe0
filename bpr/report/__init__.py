"""The shareable report: ``build_report(result_or_outdir) -> str`` (one self-contained HTML
page) and ``write_report(result_or_outdir, path)``; see :mod:`bpr.report.build`."""

from bpr.report.build import build_report, charts, write_report

__all__ = ["build_report", "charts", "write_report"]
