"""Render one PDF in a process of its own: HTML on stdin, the PDF on stdout, nothing else of the app loaded.

Run by `app.services.paper.render_pdf` as `python -I pdf_child.py <MB>`, capping its own address space first:
WeasyPrint's fonts and layout grew a gunicorn worker by ~700 MB that it never gave back; a child returns all of
it when it exits.
Only `data:` URLs may be fetched: the page is self-contained, never a file or the network.
"""

from __future__ import annotations

import resource
import sys


def main() -> int:
    if len(sys.argv) > 1:  # the cap in MB: set here, not by the parent (preexec_fn is unsafe in threaded workers)
        limit = int(sys.argv[1]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import weasyprint

    html = sys.stdin.buffer.read().decode("utf-8")
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"})
    sys.stdout.buffer.write(weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf())
    return 0


if __name__ == "__main__":
    sys.exit(main())
