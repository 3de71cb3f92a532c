"""Benchmarking: methods, the evaluation runner and report formats."""

from srkit.evaluation.methods import METHODS, Interpolation, ModelMethod, SRMethod, get_method, method_names
from srkit.evaluation.report import format_table, to_csv, to_json, to_markdown, write_reports
from srkit.evaluation.runner import ImageResult, Protocol, SetResult, evaluate, score

__all__ = [
    "METHODS",
    "ImageResult",
    "Interpolation",
    "ModelMethod",
    "Protocol",
    "SRMethod",
    "SetResult",
    "evaluate",
    "format_table",
    "get_method",
    "method_names",
    "score",
    "to_csv",
    "to_json",
    "to_markdown",
    "write_reports",
]
