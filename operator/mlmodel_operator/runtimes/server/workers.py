"""Several worker processes on one port (SO_REUSEPORT), with correct Prometheus metrics.

Python predicts on one core per process, so a pod with N CPUs runs N workers; the kernel
spreads connections over them. Each worker loads and checks the model itself (spawned fresh,
nothing pickled across), so the parent stays small. Metrics use prometheus_client's
multiprocess mode: the parent points PROMETHEUS_MULTIPROC_DIR at an empty directory before
spawning; counters and histograms are summed over workers and the live gauges carry a ``pid``
label per live worker (see metrics.py). If a worker exits (a checksum mismatch, a crash), the
parent stops the others and exits non-zero, so Kubernetes restarts the pod cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from mlmodel_operator.api import contract
from mlmodel_operator.api.v1alpha1 import MLModelSpec
from mlmodel_operator.runtimes.server.errors import StartupError

log = logging.getLogger(__name__)

EXIT_STARTUP = 3


def pod_name() -> str:
    return os.environ.get(contract.ENV_POD_NAME) or os.uname().nodename


def _worker(kwargs: dict[str, Any]) -> None:
    from mlmodel_operator.runtimes.server.app import run_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    spec_json = kwargs.pop("spec_json")
    spec = MLModelSpec.model_validate_json(spec_json) if spec_json else None
    try:
        asyncio.run(run_server(spec=spec, reuse_port=True, **kwargs))
    except StartupError as exc:
        log.error("%s", exc)
        raise SystemExit(EXIT_STARTUP) from None


def run_workers(
    version_dir: Path,
    *,
    host: str,
    port: int,
    workers: int,
    feedback_file: Path | None,
    expected_sha256: str | None,
    spec: MLModelSpec | None,
) -> None:
    """Run ``workers`` processes until SIGTERM; StartupError if one fails to start."""
    from prometheus_client import multiprocess

    own_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        own_dir = tempfile.mkdtemp(prefix="mlmodel-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = own_dir
    ctx = multiprocessing.get_context("spawn")
    kwargs = {
        "version_dir": version_dir,
        "host": host,
        "port": port,
        "feedback_file": feedback_file,
        "expected_sha256": expected_sha256,
        "spec_json": spec.model_dump_json(by_alias=True) if spec else None,
    }
    procs = [
        ctx.Process(target=_worker, args=(dict(kwargs),), name=f"worker-{i}")
        for i in range(workers)
    ]
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    old = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGINT)}
    failed: int | None = None
    try:
        for p in procs:
            p.start()
        while not stopping and failed is None:
            time.sleep(0.2)
            for p in procs:
                if p.exitcode is not None:
                    failed = p.exitcode
                    log.error(
                        "Worker %s (pid %s) exited with %s; stopping", p.name, p.pid, p.exitcode
                    )
                    break
    finally:
        for p in procs:
            if p.is_alive() and p.pid is not None:
                os.kill(p.pid, signal.SIGTERM)
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
                p.join()
            if p.pid is not None:
                multiprocess.mark_process_dead(p.pid)  # type: ignore[no-untyped-call]
        for s, handler in old.items():
            signal.signal(s, handler)
        if own_dir is not None:
            shutil.rmtree(own_dir, ignore_errors=True)
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if failed == EXIT_STARTUP:
        raise StartupError("a worker could not load the model (see the log above)")
    if failed is not None and not stopping:
        raise StartupError(f"a worker exited with code {failed}")
