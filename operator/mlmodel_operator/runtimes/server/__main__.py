"""`python -m mlmodel_operator.runtimes.server`: serve the version named by the environment."""

from __future__ import annotations

import logging
import sys

from mlmodel_operator.runtimes.server import settings
from mlmodel_operator.runtimes.server.app import serve
from mlmodel_operator.runtimes.server.errors import StartupError


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        cfg = settings.from_env()
        serve(
            cfg.version_dir,
            host=cfg.host,
            port=cfg.port,
            workers=cfg.workers,
            feedback_dir=cfg.feedback_file.parent if cfg.feedback_file else None,
            expected_sha256=cfg.expected_sha256,
            spec=cfg.spec,
            pod_name=cfg.feedback_file.stem if cfg.feedback_file else None,
        )
    except StartupError as exc:
        print(f"mlmodel server: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
