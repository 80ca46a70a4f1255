"""No upload sinks the server: each crafted .xlsx is refused in bounded memory and time, with a message, by name."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.domain import xlsx_guard as guard
from app.extensions import db
from app.models import CalendarDay, CalendarYear, CatalogChange, CatalogItem
from tests import xlsx_bombs as bombs

ROOT = Path(__file__).resolve().parents[2]
PEAK_BOUND_MB = 300
CPU_BOUND_SECONDS = 10  # the unchecked reader took 23 s to 254 s (and GBs) on these files

# The import a worker runs, in a fresh interpreter so that its peak memory is its own; the peak is reset before
# each file (Linux: /proc/self/clear_refs), then a control allocates 350 MB to show that the measure sees it.
IMPORT_SCRIPT = """
import json, sys, time
from app.domain.errors import FileRejected
from app.services.tabular import read_table

def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass  # the peak then only grows: each file's figure is an upper bound

def peak_mb():
    try:
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    except OSError:  # not Linux: the process's peak so far (kB on Linux and BSD, bytes on macOS)
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return int(status["VmHWM"].split()[0]) / 1024

outcomes = {}
for name, path in json.loads(sys.argv[1]):
    data = open(path, "rb").read()
    reset_peak()
    started = time.process_time()
    try:
        outcome = {"rows": len(read_table(data, "upload.xlsx", 2 * 1024 * 1024).rows)}
    except FileRejected as error:
        outcome = {"refused": [p.template for p in error.problems]}
    outcome["cpu_seconds"] = time.process_time() - started
    outcome["peak_mb"] = peak_mb()
    outcomes[name] = outcome
reset_peak()
ballast = bytearray(350 * 1024 * 1024)
ballast[::4096] = b"x" * len(ballast[::4096])  # touch every page
outcomes["ballast"] = {"peak_mb": peak_mb()}
print(json.dumps(outcomes))
"""


def _elements_bomb() -> bytes:
    """200,000 elements in a part openpyxl would load whole (800 KB: under the size and ratio caps)."""
    part = bombs.Part("docProps/custom.xml", [(b"<a>", 1), (b"<b/>" * 200_000, 1), (b"</a>", 1)])
    return bombs.Workbook(bombs.plain([bombs.HEADER]), extra_parts=[part]).build()


# name: (builder, what the guard says, what the page says in Chinese)
BOMBS: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "1 GB text cell": (
        bombs.huge_cell,
        guard.MEMBER_TOO_BIG,
        "文件中的组成部分 xl/worksheets/sheet1.xml 解压后为 1025 MB，最多接受 16 MB。",
    ),
    "1 GB shared strings": (
        bombs.huge_shared_strings,
        guard.MEMBER_TOO_BIG,
        "文件中的组成部分 xl/sharedStrings.xml 解压后为 1025 MB，最多接受 16 MB。",
    ),
    "600 MB of rows": (
        bombs.many_rows,
        guard.MEMBER_TOO_BIG,
        "文件中的组成部分 xl/worksheets/sheet1.xml 解压后为 601 MB，最多接受 16 MB。",
    ),
    "lying size header": (
        bombs.lying_size,
        guard.SIZE_MISMATCH,
        "文件已损坏：组成部分 xl/worksheets/sheet1.xml 解压后的大小或校验值与其声明不符。",
    ),
    "malformed XML": (
        bombs.malformed,
        guard.MALFORMED_XML,
        "文件已损坏：组成部分 xl/worksheets/sheet1.xml 不是格式正确的 XML（第 1 行）。",
    ),
    "XML entities": (bombs.billion_laughs, guard.DTD_REFUSED, "声明了 DTD 或 XML 实体"),
    "formula": (
        bombs.with_formula,
        guard.FORMULA,
        "第 3 行: 单元格 C3 是公式（=C2*2），不导入公式的计算结果。请直接填写数值。",
    ),
    "external link": (
        bombs.with_external_link,
        guard.EXTERNAL_LINK,
        "工作簿链接了其他文件（file:///C:\\预算\\2026.xlsx），不导入指向其他文件的链接。",
    ),
    "600 parts": (lambda: bombs.many_parts(600), guard.TOO_MANY_MEMBERS, "文件包含 606 个组成部分，最多接受 500 个。"),
    "200,000 elements": (_elements_bomb, guard.TOO_MANY_ELEMENTS, "除工作表外，文件包含超过 100000 个 XML 元素"),
}


@pytest.fixture(scope="module")
def bomb_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each bomb built once (a few MB on disk at most, never the gigabytes it unpacks to)."""
    folder = tmp_path_factory.mktemp("bombs")
    files = {}
    for n, (name, (build, _, _)) in enumerate(BOMBS.items()):
        files[name] = folder / f"bomb{n}.xlsx"
        files[name].write_bytes(build())
    return files


def _honest_file(path: Path) -> None:
    """The largest file an import takes: 5,000 rows of 20 texts."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    for r in range(5000):
        for c in range(20):
            sheet.write_string(r, c, f"政务服务事项{r}-{c}取水许可审批")
    workbook.close()


@pytest.fixture(scope="module")
def worker(bomb_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """What one worker process made of each file: refusal or rows, CPU seconds, peak memory."""
    honest = tmp_path_factory.mktemp("honest") / "catalog.xlsx"
    _honest_file(honest)
    files = [*((name, str(path)) for name, path in bomb_files.items()), ("honest", str(honest))]
    done = subprocess.run(  # noqa: S603 — our own interpreter and script
        [sys.executable, "-c", IMPORT_SCRIPT, json.dumps(files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", BOMBS)
def test_each_bomb_is_refused_in_a_worker_within_bounded_memory_and_time(bomb_files, worker, name):
    assert bomb_files[name].stat().st_size <= 2 * 1024 * 1024  # under the upload limit: only the guard refuses
    outcome = worker[name]
    assert outcome.get("refused", [None])[0] == BOMBS[name][1]
    assert outcome["peak_mb"] < PEAK_BOUND_MB
    assert outcome["cpu_seconds"] < CPU_BOUND_SECONDS


def test_the_largest_honest_file_imports_within_the_same_bound(worker):
    assert worker["honest"]["rows"] == 5000
    assert worker["honest"]["peak_mb"] < PEAK_BOUND_MB


def test_the_peak_memory_measure_sees_a_worker_that_takes_too_much(worker):
    assert worker["ballast"]["peak_mb"] > PEAK_BOUND_MB


def _post_file(client, url: str, fields: dict, data: bytes, filename: str):
    """A multipart POST encoded in memory (the test client spools big bodies to a file it never closes)."""
    upload = FileStorage(io.BytesIO(data), filename=filename, content_type="application/octet-stream")
    boundary, body = encode_multipart({**fields, "file": upload})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (CatalogItem, CatalogChange))


@pytest.mark.parametrize("name", BOMBS)
def test_the_catalog_import_page_refuses_each_bomb_with_its_message_and_keeps_the_form(login, region, bomb_files, name):
    client = login("admin")
    before = _counts()
    fields = {"region_id": region("150621").id, "reason": "季度更新"}
    response = _post_file(client, "/catalog/import", fields, bomb_files[name].read_bytes(), "目录.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "文件未导入，未做任何更改。" in page
    assert BOMBS[name][2] in page
    assert 'name="file"' in page and 'value="季度更新"' in page  # the form again, with what was typed
    db.session.expire_all()
    assert _counts() == before


def _days() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(CalendarDay)),
        db.session.scalar(select(func.count()).select_from(CalendarYear)),
    )


@pytest.mark.parametrize("name", ["1 GB text cell", "lying size header", "malformed XML", "formula", "external link"])
def test_the_holiday_schedule_import_refuses_bombs_too(login, bomb_files, name):
    client = login("admin")
    before = _days()
    fields = {"year": 2027, "source": "测试通知"}
    response = _post_file(client, "/calendar/years/import", fields, bomb_files[name].read_bytes(), "2027.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "文件未导入，未做任何更改。" in page and BOMBS[name][2] in page
    assert 'name="file"' in page
    db.session.expire_all()
    assert _days() == before


def test_the_upload_limits_come_from_the_settings(app, login, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_XLSX_MAX_ROWS", 1)
    response = login("admin").post(
        "/calendar/years/import",
        data={"year": 2027, "source": "测试通知", "file": (io.BytesIO(bombs.good_workbook()), "2027.xlsx")},
        content_type="multipart/form-data",
    )
    assert "文件超过 1 行" in response.get_data(as_text=True)
