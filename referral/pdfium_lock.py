"""One lock for every PDFium call in the process.

PDFium is not thread-safe: "It is not allowed to call pdfium functions simultaneously across different threads,
not even with different documents ... Doing so would crash or corrupt the process" (pypdfium2 Python API, preface).
The intake checks (CPU worker's activity threads, the API's request threads) and the OCR engine (GPU worker's
activity threads) can run at once in one process, so each holds this lock around its PDFium work, closing included.
It is re-entrant because a generator's cleanup may run while its own thread already holds it.
"""

from __future__ import annotations

import threading

PDFIUM = threading.RLock()
