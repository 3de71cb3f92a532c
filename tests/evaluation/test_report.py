"""Report formats: terminal table, CSV, JSON and Markdown, and the files that write_reports writes."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest

from srkit import Protocol, SetResult, SrkitError, format_table, to_csv, to_json, to_markdown, write_reports
from srkit.evaluation import ImageResult


def _result(method: str, dataset: str, scale: int, values: list[tuple[str, float, float]]) -> SetResult:
    images = tuple(ImageResult(name, p, s, 0.001 * (k + 1)) for k, (name, p, s) in enumerate(values))
    n = len(images)
    return SetResult(
        method=method,
        dataset=dataset,
        scale=scale,
        psnr=sum(i.psnr for i in images) / n,
        ssim=sum(i.ssim for i in images) / n,
        seconds_per_image=sum(i.seconds for i in images) / n,
        images=images,
    )


@pytest.fixture
def results() -> list[SetResult]:
    return [
        _result("bicubic", "Set5", 2, [("baby", 34.123456789, 0.91234567), ("bird", 33.2, 0.95)]),
        _result("lanczos", "Set14", 4, [("bridge", 25.0, 0.6), ("comic", 23.5, 0.7), ("zebra", 27.25, 0.81)]),
    ]


PROTOCOL = Protocol()


def test_table_rows_and_protocol_line(results: list[SetResult]) -> None:
    lines = format_table(results, PROTOCOL).splitlines()
    assert len(lines) == 5  # header, rule, two rows, protocol
    assert lines[0].split() == ["method", "set", "scale", "PSNR", "SSIM", "ms/image"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].split() == ["bicubic", "Set5", "x2", "33.66", "0.9312", "1.5"]
    assert lines[3].split() == ["lanczos", "Set14", "x4", "25.25", "0.7033", "2.0"]
    assert lines[4] == PROTOCOL.describe()
    assert len({len(line) for line in lines[:4]}) == 1  # aligned columns


@pytest.mark.parametrize(
    ("protocol", "words"),
    [
        (Protocol(), ["MATLAB bicubic", "Y (BT.601, float)", "shave = scale"]),
        (Protocol(y_round=True), ["Y (BT.601, rounded)"]),
        (Protocol(test_y_channel=False), ["metric on RGB"]),
        (Protocol(degradation="BD"), ["Gaussian 7x7 s1.6 + nearest"]),
        (Protocol(degradation="DN", seed=7), ["noise 30 (seed 7)"]),
    ],
)
def test_protocol_description(protocol: Protocol, words: list[str]) -> None:
    text = protocol.describe()
    assert "\n" not in text
    for w in words:
        assert w in text


def test_csv_summary(results: list[SetResult]) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(results))))
    assert [(r["method"], r["set"], r["scale"], r["image"]) for r in rows] == [
        ("bicubic", "Set5", "2", "mean"),
        ("lanczos", "Set14", "4", "mean"),
    ]
    assert float(rows[0]["psnr"]) == pytest.approx(results[0].psnr, abs=1e-6)
    assert float(rows[0]["ssim"]) == pytest.approx(results[0].ssim, abs=1e-6)
    assert float(rows[1]["seconds"]) == pytest.approx(results[1].seconds_per_image, abs=1e-6)


def test_csv_per_image(results: list[SetResult]) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(results, per_image=True))))
    assert [r["image"] for r in rows] == ["baby", "bird", "bridge", "comic", "zebra"]
    assert rows[0]["psnr"] == "34.123457"  # full precision, not the table's 2 decimals
    assert float(rows[0]["ssim"]) == pytest.approx(0.912346, abs=1e-9)
    assert {r["set"] for r in rows[2:]} == {"Set14"}


def test_json_has_protocol_and_per_image_scores(results: list[SetResult]) -> None:
    payload = json.loads(to_json(results, Protocol(degradation="DN", seed=3)))
    proto = payload["protocol"]
    assert proto["degradation"] == "DN"
    assert proto["seed"] == 3
    assert proto["test_y_channel"] is True
    assert proto["y_round"] is False
    assert proto["description"] == Protocol(degradation="DN", seed=3).describe()
    first = payload["results"][0]
    assert (first["method"], first["set"], first["scale"]) == ("bicubic", "Set5", 2)
    assert first["psnr"] == results[0].psnr
    assert [i["name"] for i in first["images"]] == ["baby", "bird"]
    assert first["images"][0] == {"name": "baby", "psnr": 34.123456789, "ssim": 0.91234567, "seconds": 0.001}
    assert len(payload["results"][1]["images"]) == 3


def _strict_json(text: str) -> object:
    def refuse(name: str) -> float:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_json_is_strict_json_even_for_infinite_psnr() -> None:
    perfect = [_result("bicubic", "Flat", 2, [("flat", math.inf, 1.0)])]
    _strict_json(to_json(perfect, PROTOCOL))


def test_markdown_table(results: list[SetResult]) -> None:
    lines = to_markdown(results, PROTOCOL).splitlines()
    assert lines[0] == "| method | set | scale | PSNR | SSIM | ms/image |"
    assert lines[1] == "|---|---|---:|---:|---:|---:|"
    assert lines[2] == "| bicubic | Set5 | x2 | 33.66 | 0.9312 | 1.5 |"
    assert lines[3].startswith("| lanczos | Set14 | x4 |")
    assert f"Protocol: {PROTOCOL.describe()}." in lines


def test_write_reports_writes_only_what_was_asked(tmp_path: Path, results: list[SetResult]) -> None:
    csv_path = tmp_path / "r.csv"
    written = write_reports(results, PROTOCOL, csv_path=str(csv_path))
    assert written == [str(csv_path)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]
    assert csv_path.read_text() == to_csv(results)


def test_write_reports_all_three(tmp_path: Path, results: list[SetResult]) -> None:
    paths = {k: str(tmp_path / f"r.{k}") for k in ("csv", "json", "md")}
    written = write_reports(
        results,
        PROTOCOL,
        csv_path=paths["csv"],
        json_path=paths["json"],
        markdown_path=paths["md"],
        per_image=True,
    )
    assert written == [paths["csv"], paths["json"], paths["md"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.json", "r.md"]  # no temporary files left
    assert Path(paths["csv"]).read_text() == to_csv(results, per_image=True)
    assert json.loads(Path(paths["json"]).read_text()) == json.loads(to_json(results, PROTOCOL))
    assert Path(paths["md"]).read_text() == to_markdown(results, PROTOCOL)


def test_write_reports_nothing_requested(tmp_path: Path, results: list[SetResult]) -> None:
    assert write_reports(results, PROTOCOL) == []
    assert list(tmp_path.iterdir()) == []


def test_write_reports_into_missing_folder(tmp_path: Path, results: list[SetResult]) -> None:
    with pytest.raises(SrkitError, match=r"output folder does not exist: .*nowhere"):
        write_reports(results, PROTOCOL, csv_path=str(tmp_path / "nowhere" / "r.csv"))
    assert list(tmp_path.iterdir()) == []
