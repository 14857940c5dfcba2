"""`mlmodel` as users run it: the installed console script, in a subprocess."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mlmodel_operator import cli
from mlmodel_operator.api import contract

REPO = Path(__file__).resolve().parent.parent
MLMODEL = str(Path(sys.executable).with_name("mlmodel"))
EXAMPLES = sorted(str(p) for p in (REPO / "examples").glob("*.yaml"))


def run(*args: str, cwd: Path = REPO, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MLMODEL, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def test_validate_examples_prints_one_ok_line_per_model() -> None:
    proc = run("validate", *EXAMPLES)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 7 and all(": ok: MLModel " in line for line in lines), lines
    assert any(line.endswith("houses-configmap.yaml:2: ok: MLModel houses") for line in lines)


MIXED = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-model}
data: {a.csv: "x,y"}
---
apiVersion: mlops.dev/v1alpha1
kind: MLModel
metadata: {name: bad}
spec:
  data: {source: {dataset: iris}}
  monitoring: {threshold: 1.5}
  serving: {replicas: -1}
---
apiVersion: mlops.dev/v1alpha1
kind: MLModel
metadata: {name: good}
spec:
  data: {source: {dataset: iris}}
"""


def test_validate_reports_each_problem_with_file_doc_and_field(tmp_path: Path) -> None:
    file = tmp_path / "mixed.yaml"
    file.write_text(MIXED)
    proc = run("validate", str(file))
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"{file}:2: spec.serving.replicas: should be greater than or equal to 0",
        f"{file}:3: ok: MLModel good",
    ]


def test_validate_cel_problem_and_exit_code(tmp_path: Path) -> None:
    file = tmp_path / "m.yaml"
    file.write_text(MIXED.replace("  serving: {replicas: -1}\n", ""))
    proc = run("validate", str(file))
    assert proc.returncode == 1
    assert (
        f"{file}:2: spec.monitoring.threshold: threshold for accuracy and f1 must be within [0, 1]"
        in proc.stdout.splitlines()
    )


def test_validate_unreadable_and_malformed_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: MLModel\nspec: [unclosed\n")
    proc = run("validate", str(broken), str(tmp_path / "missing.yaml"))
    assert proc.returncode == 1
    assert f"{broken}: invalid YAML at line" in proc.stdout
    assert f"{tmp_path / 'missing.yaml'}: cannot read" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_validate_reads_stdin() -> None:
    proc = subprocess.run(
        [MLMODEL, "validate", "-"], input=MIXED, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1 and "-:3: ok: MLModel good" in proc.stdout


def test_crd_command_prints_the_committed_crd() -> None:
    proc = run("crd")
    assert proc.returncode == 0
    assert proc.stdout == (REPO / "crds" / "mlmodel.yaml").read_text()


def test_train_refuses_an_invalid_model(tmp_path: Path) -> None:
    file = tmp_path / "m.yaml"
    file.write_text(MIXED)
    proc = run("train", str(file), "--name", "bad", "--output", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert "spec.serving.replicas" in proc.stdout
    assert "nothing trained" in proc.stderr
    assert not (tmp_path / "out").exists()


def _version_dir(tmp: Path, name: str, n: int) -> Path:
    d = tmp / name / contract.version_dir_name(n)
    d.mkdir(parents=True)
    (d / contract.MODEL_FILE).write_bytes(b"")
    return d


def test_resolve_version_dir_from_root_model_or_version(tmp_path: Path) -> None:
    v1 = _version_dir(tmp_path, "iris", 1)
    v2 = _version_dir(tmp_path, "iris", 2)
    assert cli.resolve_version_dir(tmp_path, version=None, model=None) == v2
    assert cli.resolve_version_dir(tmp_path / "iris", version=1, model=None) == v1
    assert cli.resolve_version_dir(v1, version=None, model=None) == v1
    assert cli.next_version(tmp_path / "iris") == 3
    assert cli.next_version(tmp_path / "new") == 1
    _version_dir(tmp_path, "wine", 1)
    with pytest.raises(cli.CliError, match="several models"):
        cli.resolve_version_dir(tmp_path, version=None, model=None)
    with pytest.raises(cli.CliError, match="no version 9"):
        cli.resolve_version_dir(tmp_path, version=9, model="iris")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_train_then_serve_the_iris_sample(tmp_path: Path) -> None:
    out = tmp_path / "models"
    first = run("train", "examples/iris.yaml", "--output", str(out))
    assert first.returncode == 0, first.stderr
    second = run("train", "examples/iris.yaml", "--output", str(out), "--baseline-version", "1")
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout[second.stdout.index("{") : second.stdout.rindex("}") + 1])
    assert summary["ok"] is True and summary["version"] == 2
    assert summary["metrics"]["accuracy"] > 0.8
    assert summary["baselineScore"] is not None
    assert (out / "iris" / "v2" / contract.MODEL_FILE).is_file()

    port = _free_port()
    server = subprocess.Popen(
        [MLMODEL, "serve", str(out), "--port", str(port), "--version", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            try:
                with urllib.request.urlopen(base + contract.READY_PATH, timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "server not ready within 60s"
            time.sleep(0.3)
        body = json.dumps({"instances": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}).encode()
        request = urllib.request.Request(base + "/predict", data=body, method="POST")
        with urllib.request.urlopen(request, timeout=10) as resp:
            reply = json.loads(resp.read())
        assert reply["modelVersion"] == 1
        assert reply["predictions"] == [0, 2]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_yaml_is_read_as_kubectl_reads_it(tmp_path: Path) -> None:
    file = tmp_path / "m.yaml"
    file.write_text("a: y\nb: N\nc: yes\nd: 'y'\ne: yellow\n")
    (doc,) = cli.load_documents(str(file))
    assert doc.body == {"a": True, "b": False, "c": True, "d": "y", "e": "yellow"}
