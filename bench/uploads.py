"""Upload bombs: each crafted .xlsx through the app's upload reader, in its own process (its peak memory its own).

    python bench/uploads.py [--unguarded]

One line per file: name, size uploaded, size the zip declares unpacked, outcome (the refusal, or rows read),
CPU seconds and peak memory of the reading process; the last line
    uploads files=<n> refused=<n> worst_s=<x> worst_peak_mb=<y>
--unguarded also reads each bomb with openpyxl alone, as the reader did before #11 — capped at 1.5 GB of address
space and 60 s so that it cannot take the machine down (expect MemoryError, timeouts and IndexError there).
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import xlsx_bombs as bombs  # noqa: E402 — the bench runs from any directory

GUARDED = """
import json, sys, time
from app.domain.errors import FileRejected
from app.services.tabular import read_table
data = open(sys.argv[1], "rb").read()
started = time.process_time()
try:
    outcome = "rows=%d" % len(read_table(data, "upload.xlsx", 2 * 1024 * 1024).rows)
except FileRejected as error:
    problem = error.problems[0]
    outcome = "refused: " + problem.template % problem.params
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({"outcome": outcome, "seconds": time.process_time() - started,
                  "peak_mb": int(status["VmHWM"].split()[0]) / 1024}))
"""

UNGUARDED = """
import io, json, sys, time
from openpyxl import load_workbook
started = time.process_time()
try:
    workbook = load_workbook(io.BytesIO(open(sys.argv[1], "rb").read()), read_only=True, data_only=True)
    rows = 0
    for _ in workbook.worksheets[0].iter_rows(max_col=40, values_only=True):
        rows += 1
        if rows > 5000:
            break
    outcome = "read %d rows (cached formula values included)" % rows
except BaseException as error:
    outcome = "%s: %s" % (type(error).__name__, str(error)[:60])
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({"outcome": outcome, "seconds": time.process_time() - started,
                  "peak_mb": int(status["VmHWM"].split()[0]) / 1024}))
"""


def _elements() -> bytes:
    part = bombs.Part("docProps/custom.xml", [(b"<a>", 1), (b"<b/>" * 200_000, 1), (b"</a>", 1)])
    return bombs.Workbook(bombs.plain([bombs.HEADER]), extra_parts=[part]).build()


def _largest_honest() -> bytes:
    """The largest file an import takes: 5,000 rows of 20 texts, as Excel-like tools write it."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for r in range(5000):
        for c in range(20):
            sheet.write_string(r, c, f"政务服务事项{r}-{c}取水许可审批")
    workbook.close()
    return buffer.getvalue()


FILES = {
    "honest (2 rows)": bombs.good_workbook,
    "honest (5,000 × 20)": _largest_honest,
    "1 GB text cell": bombs.huge_cell,
    "1 GB shared strings": bombs.huge_shared_strings,
    "600 MB of rows": bombs.many_rows,
    "lying size header (1 GB)": bombs.lying_size,
    "15 MB of rows (ratio)": lambda: bombs.many_rows(15 * bombs.MB),
    "malformed XML": bombs.malformed,
    "XML entities": bombs.billion_laughs,
    "formula": bombs.with_formula,
    "external link": bombs.with_external_link,
    "600 parts": lambda: bombs.many_parts(600),
    "200,000 elements": _elements,
}


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, 1536 * 1024 * 1024))


def run(script: str, path: Path, limited: bool) -> dict:
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60 if limited else 300,
            preexec_fn=_limit_memory if limited else None,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"outcome": "still running after 60 s (killed)", "seconds": 60.0, "peak_mb": float("nan")}
    if done.returncode != 0 or not done.stdout.strip():
        return {"outcome": f"crashed ({done.returncode}): {done.stderr.strip()[-80:]}", "seconds": 0, "peak_mb": 0}
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unguarded", action="store_true", help="also read each bomb with openpyxl alone (capped)")
    args = parser.parse_args()
    worst_s = worst_mb = 0.0
    refused = 0
    with tempfile.TemporaryDirectory() as folder:
        for n, (name, build) in enumerate(FILES.items()):
            path = Path(folder) / f"file{n}.xlsx"
            path.write_bytes(build())
            declared = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(path.read_bytes())).infolist())
            sizes = f"{path.stat().st_size / 1024:7.0f} KB → {declared / bombs.MB:6.0f} MB"
            result = run(GUARDED, path, limited=False)
            refused += result["outcome"].startswith("refused")
            worst_s, worst_mb = max(worst_s, result["seconds"]), max(worst_mb, result["peak_mb"])
            print(
                f"{name:26} {sizes}  {result['seconds']:6.2f} s {result['peak_mb']:6.0f} MB  {result['outcome'][:90]}"
            )
            if args.unguarded and not name.startswith("honest"):
                before = run(UNGUARDED, path, limited=True)
                print(
                    f"{'  openpyxl alone':26} {'':21}  {before['seconds']:6.2f} s {before['peak_mb']:6.0f} MB  "
                    f"{before['outcome'][:90]}"
                )
    print(f"uploads files={len(FILES)} refused={refused} worst_s={worst_s:.2f} worst_peak_mb={worst_mb:.0f}")


if __name__ == "__main__":
    main()
