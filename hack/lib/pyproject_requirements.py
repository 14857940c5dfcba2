"""Write pyproject.toml's dependency lists as pip requirement files, for the image build.

The Dockerfile installs dependencies from these files rather than from pyproject.toml itself, so
an edit to pyproject.toml that leaves the dependencies alone (tool settings, metadata) keeps the
cached dependency layer. Output is sorted and stable: same dependencies, same bytes.

    python3 pyproject_requirements.py PYPROJECT OUTDIR [EXTRA,...]
    -> OUTDIR/build.txt    [build-system] requires
       OUTDIR/runtime.txt  [project] dependencies + the extras (self-references expanded)
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import Any


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(pyproject: dict[str, Any], extras: list[str]) -> list[str]:
    """The project's runtime requirements with `extras`, following `name[extra]` self-references."""
    project = pyproject["project"]
    name = _normalize(project["name"])
    optional: dict[str, list[str]] = project.get("optional-dependencies", {})
    found: set[str] = set(project.get("dependencies", []))
    todo, seen = list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        if extra not in optional:
            raise SystemExit(f"pyproject.toml has no extra {extra!r} (known: {sorted(optional)})")
        for req in optional[extra]:
            self_ref = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*\[([^\]]*)\]\s*", req)
            if self_ref and _normalize(self_ref.group(1)) == name:
                todo.extend(e.strip() for e in self_ref.group(2).split(",") if e.strip())
            else:
                found.add(req.strip())
    return sorted(found)


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    pyproject = tomllib.loads(Path(argv[1]).read_text(encoding="utf-8"))
    out = Path(argv[2])
    extras = [e.strip() for e in (argv[3] if len(argv) == 4 else "").split(",") if e.strip()]
    out.mkdir(parents=True, exist_ok=True)
    build = sorted(pyproject.get("build-system", {}).get("requires", []))
    (out / "build.txt").write_text("".join(f"{r}\n" for r in build), encoding="utf-8")
    runtime = requirements(pyproject, extras)
    (out / "runtime.txt").write_text("".join(f"{r}\n" for r in runtime), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
