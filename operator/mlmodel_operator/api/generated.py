"""Files generated from the typed models (the CRD, the reference doc): write them, or check them.

`--check` is what CI and the drift tests rely on: it exits 1 with a short diff when the file in
the repository no longer matches what the models generate.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path


def write_or_check(path: Path, text: str, *, check: bool, regenerate: str) -> int:
    """Write `text` to `path`, or (check) compare them; returns the exit status."""
    if check:
        current = path.read_text() if path.exists() else ""
        if current == text:
            print(f"{path} is up to date")
            return 0
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            text.splitlines(keepends=True),
            str(path),
            "generated",
            n=1,
        )
        sys.stdout.writelines(list(diff)[:60])
        print(f"\n{path} is stale: run `{regenerate}` and commit it")
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"wrote {path}")
    return 0
