"""Serving benchmark: our server against MLServer (default and adaptive batching) and KServe.

One command, one run, same model files, same machine:

    python benchmarks/serving/run.py [--duration 10] [--smoke] [--models rf,lr]

It trains a RandomForestClassifier (100 trees, max_depth 8) and a LogisticRegression on 20
synthetic features, writes them in our artifact format, installs the anchors into their own
venv (~/.cache/mlmodel-operator/bench-venv: mlserver, mlserver-sklearn, kserve), pins every
server to CPU 0 and wrk to CPU 1, and measures V2 (all servers) and V1 (ours, KServe) at 1 row
with 1/8/64 connections and 100 rows with 8. It checks each server's predictions against
model.predict, reports idle memory, and always stops what it started. --smoke runs only our
server for 2 s per scenario and never judges timings (for CI).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CACHE = Path.home() / ".cache" / "mlmodel-operator"
# MLServer and KServe register the same gRPC proto names, so they cannot share a venv; MLServer
# 1.7.1's worker pool calls asyncio.get_event_loop() outside a loop, which uvloop >= 0.22 refuses
# ("There is no current event loop in thread 'MainThread'"), hence the pin.
ANCHOR_VENVS = {
    "mlserver": (
        CACHE / "bench-venv",
        ["mlserver", "mlserver-sklearn", "uvloop<0.22"],
        "mlserver_sklearn",
    ),
    "kserve": (CACHE / "bench-venv-kserve", ["kserve"], "kserve"),
}
SERVER_CPU, LOAD_CPU = "0", "1"
SCENARIOS = [("1 row @1", 1, 1), ("1 row @8", 1, 8), ("1 row @64", 1, 64), ("100 rows @8", 100, 8)]


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    ready_path: str
    v2_path: str
    v1_path: str | None
    cwd: Path | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)


@dataclass
class Result:
    server: str
    model: str
    protocol: str
    scenario: str
    rows: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rows_per_s(self) -> float:
        return self.rps * self.rows


# ---- models ---------------------------------------------------------------------------------
def train_models(root: Path, names: list[str]) -> dict[str, tuple[Path, np.ndarray]]:
    """Fit the models, write them as our versions; returns {name: (version_dir, sample X)}."""
    sys.path.insert(0, str(REPO / "operator"))
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from mlmodel_operator.api.v1alpha1 import MLModelSpec
    from mlmodel_operator.runtimes import artifacts, drift_reference

    x, y = make_classification(
        n_samples=5000, n_features=20, n_informative=10, n_classes=3, random_state=0
    )
    features = [f"f{i}" for i in range(20)]
    kinds = {f: "numeric" for f in features}
    out = {}
    for name in names:
        if name == "rf":
            est: Any = RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0)
            prep: Any = "passthrough"
        else:
            est, prep = LogisticRegression(max_iter=1000), StandardScaler()
        model = Pipeline(
            [("prep", ColumnTransformer([("num", prep, list(range(20)))])), ("est", est)]
        ).fit(x, y)
        spec = MLModelSpec.model_validate(
            {
                "data": {"source": {"dataset": "iris"}},
                "training": {"estimator": type(est).__name__},
                # the default maxBatchSize (256 rows) fits only two 100-row requests per predict
                "serving": {"maxRequestRows": 10000, "batching": {"maxBatchSize": 2048}},
                "monitoring": {"metric": "accuracy", "window": 500},
            }
        )
        meta = artifacts.VersionMetadata(
            model_name=name,
            version=1,
            task="classification",
            estimator=type(est).__name__,
            target="y",
            feature_names=features,
            feature_kinds=kinds,
            categories={},
            classes=[0, 1, 2],
            metrics={},
            score=float(model.score(x, y)),
            baseline_score=None,
            data_report={},
            data_fingerprint="0" * 64,
            rows=len(x),
            artifact_sha256="",
            created_at=artifacts.utc_now(),
            spec=spec.to_wire(),
        )
        ref = drift_reference.build_reference(x, feature_names=features, feature_kinds=kinds)
        vdir = artifacts.write_version(
            root=root, model_name=name, version=1, model=model, metadata=meta, reference=ref
        )
        out[name] = (vdir, x[:200])
    return out


# ---- anchors --------------------------------------------------------------------------------
def ensure_anchor_venvs() -> dict[str, Path]:
    """Each anchor's python, installing it from PyPI into its own venv on first use."""
    import sklearn

    out = {}
    for name, (venv, packages, module) in ANCHOR_VENVS.items():
        py = venv / "bin" / "python"
        if not py.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        probe = f"import {module}; import uvloop; assert '{module}' != 'mlserver_sklearn' or tuple(map(int, uvloop.__version__.split('.')[:2])) < (0, 22)"
        if subprocess.run([str(py), "-c", probe], capture_output=True).returncode:
            subprocess.run(
                [
                    str(py),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    *packages,
                    f"scikit-learn=={sklearn.__version__}",
                ],
                check=True,
            )
        out[name] = py
    return out


def mlserver_dir(base: Path, name: str, vdir: Path, *, batching: bool, port: int) -> Path:
    d = base / f"mls{'-batch' if batching else ''}-{name}"
    (d / name).mkdir(parents=True, exist_ok=True)
    settings = {
        "http_port": port,
        "grpc_port": free_port(),
        "metrics_port": free_port(),
        "debug": False,
    }
    (d / "settings.json").write_text(json.dumps(settings))
    model = {
        "name": name,
        "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": str(vdir / "model.joblib"), "version": "1"},
    }
    if batching:
        model.update({"max_batch_size": 64, "max_batch_time": 0.002})
    (d / name / "model-settings.json").write_text(json.dumps(model))
    return d


# ---- processes ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(method: str, url: str, body: bytes | None = None, timeout: float = 10) -> tuple[int, Any]:
    req = urllib.request.Request(
        url, data=body, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            data = r.read()
            return r.status, json.loads(data) if data else None
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@contextlib.contextmanager
def running(server: Server, log_dir: Path) -> Iterator[Server]:
    log = (log_dir / f"{server.name}.log").open("wb")
    server.proc = subprocess.Popen(
        ["taskset", "-c", SERVER_CPU, *server.argv],
        env=server.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=server.cwd,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.proc.poll() is not None:
                raise RuntimeError(
                    f"{server.name} exited with {server.proc.returncode}; see {log.name}"
                )
            with contextlib.suppress(OSError):
                if (
                    http("GET", f"http://127.0.0.1:{server.port}{server.ready_path}", timeout=2)[0]
                    == 200
                ):
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.name} not ready after 120 s; see {log.name}")
            time.sleep(0.25)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.proc.pid, signal.SIGTERM)
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait()
        log.close()


def group_memory_mib(pgid: int) -> tuple[float, float]:
    """(RSS, PSS) summed over the process group, in MiB."""
    rss = pss = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.getpgid(int(pid)) != pgid:
                continue
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except (OSError, ProcessLookupError):
            continue
        for line in text.splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss / 1024, pss / 1024


# ---- bodies and load ------------------------------------------------------------------------
def v2_body(x: np.ndarray) -> bytes:
    return json.dumps(
        {
            "inputs": [
                {
                    "name": "predict",
                    "shape": list(x.shape),
                    "datatype": "FP64",
                    "data": x.ravel().tolist(),
                }
            ]
        }
    ).encode()


def v1_body(x: np.ndarray) -> bytes:
    return json.dumps({"instances": x.tolist()}).encode()


def v2_predictions(resp: Any) -> list[Any]:
    outs = resp["outputs"]
    out = next((o for o in outs if o["name"] == "predict"), outs[0])
    return list(np.asarray(out["data"]).ravel().tolist())


def check_predictions(server: Server, model: Any, x: np.ndarray, name: str) -> str:
    want = model.predict(x).tolist()
    base = f"http://127.0.0.1:{server.port}"
    status, resp = http("POST", base + server.v2_path.format(name=name), v2_body(x))
    if status != 200 or v2_predictions(resp) != want:
        return f"V2 MISMATCH ({status}: {str(resp)[:200]})"
    if server.v1_path:
        status, resp = http("POST", base + server.v1_path.format(name=name), v1_body(x))
        if status != 200 or resp["predictions"] != want:
            return f"V1 MISMATCH ({status}: {str(resp)[:200]})"
    return "ok"


def run_wrk(url: str, body: bytes, *, connections: int, duration: int, tmp: Path) -> dict[str, Any]:
    body_file = tmp / "body.json"
    body_file.write_bytes(body)
    out = subprocess.run(
        [
            "taskset",
            "-c",
            LOAD_CPU,
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "5s",
            "-s",
            str(HERE / "wrk_post.lua"),
            url,
        ],
        env={**os.environ, "BODY_FILE": str(body_file)},
        capture_output=True,
        text=True,
        timeout=duration + 60,
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout[-500:]} {out.stderr[-500:]}")
    return json.loads(line[len("WRKJSON ") :])  # type: ignore[no-any-return]


def measure(server: Server, name: str, x: np.ndarray, *, duration: int, tmp: Path) -> list[Result]:
    results = []
    protocols = [("V2", server.v2_path, v2_body)]
    if server.v1_path:
        protocols.append(("V1", server.v1_path, v1_body))
    for proto, path, make in protocols:
        for label, rows, conns in SCENARIOS:
            url = f"http://127.0.0.1:{server.port}{path.format(name=name)}"
            w = run_wrk(url, make(x[:rows]), connections=conns, duration=duration, tmp=tmp)
            secs = w["duration_us"] / 1e6
            results.append(
                Result(
                    server.name,
                    name,
                    proto,
                    label,
                    rows,
                    w["requests"] / secs,
                    w["p50_us"] / 1000,
                    w["p99_us"] / 1000,
                    w["errors"],
                )
            )
            r = results[-1]
            print(
                f"  {server.name:<14} {name} {proto} {label:<12} {r.rps:9.0f} req/s"
                f" p50 {r.p50_ms:7.2f} ms p99 {r.p99_ms:7.2f} ms errors {r.errors}",
                flush=True,
            )
    return results


# ---- main -----------------------------------------------------------------------------------
def servers_for(
    name: str, vdir: Path, *, anchors: dict[str, Path] | None, work: Path
) -> list[Server]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "operator")}
    ours_port = free_port()
    from mlmodel_operator.api import contract

    ours = Server(
        "ours",
        [sys.executable, "-m", "mlmodel_operator.runtimes.server"],
        {
            **env,
            contract.ENV_ARTIFACT_ROOT: str(vdir.parent.parent),
            contract.ENV_MODEL_NAME: name,
            contract.ENV_VERSION: "1",
            contract.ENV_WORKERS: "1",
            contract.ENV_PORT: str(ours_port),
            contract.ENV_POD_NAME: "bench",
        },
        ours_port,
        "/v2/health/ready",
        "/v2/models/{name}/infer",
        "/v1/models/{name}:predict",
    )
    if anchors is None:
        return [ours]
    bin_dir = anchors["mlserver"].parent
    out = [ours]
    for batching in (False, True):
        port = free_port()
        d = mlserver_dir(work, name, vdir, batching=batching, port=port)
        out.append(
            Server(
                "mlserver-batch" if batching else "mlserver",
                [str(bin_dir / "mlserver"), "start", str(d)],
                dict(os.environ),
                port,
                "/v2/health/ready",
                "/v2/models/{name}/infer",
                None,
            )
        )
    port = free_port()
    out.append(
        Server(
            "kserve",
            [
                str(anchors["kserve"]),
                str(HERE / "kserve_sklearn.py"),
                "--model_file",
                str(vdir / "model.joblib"),
                "--model_name",
                name,
                "--http_port",
                str(port),
            ],
            dict(os.environ),
            port,
            f"/v1/models/{name}",
            "/v2/models/{name}/infer",
            "/v1/models/{name}:predict",
        )
    )
    return out


def print_table(results: list[Result]) -> None:
    print(
        "\nserver          model proto scenario       req/s     rows/s   p50 ms   p99 ms  errors"
        "  ours/this (rows/s)"
    )
    for r in results:
        ours = next(
            (
                o
                for o in results
                if o.server == "ours"
                and o.model == r.model
                and o.protocol == r.protocol
                and o.scenario == r.scenario
            ),
            None,
        )
        ratio = f"{ours.rows_per_s / r.rows_per_s:6.2f}x" if ours and r.rows_per_s else "   -"
        print(
            f"{r.server:<15} {r.model:<5} {r.protocol:<5} {r.scenario:<12} {r.rps:9.0f}"
            f" {r.rows_per_s:10.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} {r.errors:7d}  {ratio}"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    ap.add_argument("--smoke", action="store_true", help="ours only, 2 s, no timing goals")
    ap.add_argument("--models", default="rf,lr")
    ap.add_argument("--no-anchors", action="store_true", help="measure only our server")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    duration = 2 if args.smoke else args.duration
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="mlmodel-bench-"))
    try:
        anchors = None if args.smoke or args.no_anchors else ensure_anchor_venvs()
        models = train_models(work / "models", args.models.split(","))
        results: list[Result] = []
        problems: list[str] = []
        import joblib

        for name, (vdir, x) in models.items():
            model = joblib.load(vdir / "model.joblib")
            for server in servers_for(name, vdir, anchors=anchors, work=work):
                try:
                    with running(server, work) as s:
                        time.sleep(1.0)
                        assert s.proc is not None
                        rss, pss = group_memory_mib(s.proc.pid)
                        verdict = check_predictions(s, model, x[:100], name)
                        print(
                            f"{s.name} {name}: idle RSS {rss:.0f} MiB (PSS {pss:.0f} MiB),"
                            f" predictions {verdict}",
                            flush=True,
                        )
                        if verdict != "ok":
                            problems.append(f"{s.name} {name}: {verdict}")
                        results += measure(s, name, x, duration=duration, tmp=work)
                except RuntimeError as exc:
                    problems.append(f"{server.name} {name}: {exc}")
                    print(f"{server.name} {name}: FAILED: {exc}", flush=True)
        print_table(results)
        if args.json:
            args.json.write_text(json.dumps([r.__dict__ for r in results], indent=1))
        errors = sum(r.errors for r in results if r.server == "ours")
        for p in problems:
            print("PROBLEM:", p)
        return 1 if problems or errors else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
