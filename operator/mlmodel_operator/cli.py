"""``mlmodel``: the user's command line, next to kubectl.

- ``mlmodel validate FILE...``: what the API server would refuse, offline (schema + CEL rules);
- ``mlmodel train FILE --output DIR``: the exact training the cluster runs, on this machine;
- ``mlmodel serve DIR``: the inference server on a locally trained version;
- ``mlmodel crd``: print the CustomResourceDefinition.

The runtimes (scikit-learn, aiohttp) are imported inside their subcommands only, so ``validate``
and ``crd`` work with just the ``cli`` extra installed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml

from mlmodel_operator.api import contract
from mlmodel_operator.api import v1alpha1 as api


class CliError(Exception):
    """A user-facing failure: printed as ``mlmodel: error: <message>``, exit code 1."""


@dataclass(frozen=True)
class Document:
    """One YAML document of a file, numbered from 1 as in ``FILE:DOC``."""

    file: str
    index: int
    body: Any

    @property
    def where(self) -> str:
        return f"{self.file}:{self.index}"

    @property
    def is_mlmodel(self) -> bool:
        if not isinstance(self.body, dict):
            return False
        api_version = str(self.body.get("apiVersion", ""))
        return self.body.get("kind") == api.KIND or api_version.startswith(f"{api.GROUP}/")


class KubeYamlLoader(yaml.SafeLoader):
    """YAML as kubectl reads it (YAML 1.1 via go-yaml): ``y``/``n`` are booleans too, so that
    ``target: y`` is refused here exactly as the API server refuses it."""

    bool_values: ClassVar[dict[str, bool]] = {**yaml.SafeLoader.bool_values, "y": True, "n": False}


KubeYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"), list("yYnN")
)


def _read_text(file: str) -> str:
    try:
        return sys.stdin.read() if file == "-" else Path(file).read_text()
    except OSError as exc:
        raise CliError(f"{file}: cannot read: {exc.strerror or exc}") from exc


def load_documents(file: str) -> list[Document]:
    """Every non-empty YAML document of a file ('-' is stdin)."""
    text = _read_text(file)
    docs: list[Document] = []
    try:
        for index, body in enumerate(yaml.load_all(text, Loader=KubeYamlLoader), start=1):
            if body is not None:
                docs.append(Document(file=file, index=index, body=body))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CliError(f"{file}: invalid YAML{line}: {problem}") from exc
    return docs


# ---- validate -----------------------------------------------------------------------------


def _cmd_validate(args: argparse.Namespace) -> int:
    from mlmodel_operator.api.validate import validate_manifest

    failed = False
    for file in args.files:
        try:
            docs = load_documents(file)
        except CliError as exc:
            print(exc)
            failed = True
            continue
        models = [d for d in docs if d.is_mlmodel]
        if not models:
            print(f"{file}: note: no MLModel documents", file=sys.stderr)
        for doc in models:
            problems = validate_manifest(doc.body)
            for problem in problems:
                print(f"{doc.where}: {problem}")
            if problems:
                failed = True
            else:
                print(f"{doc.where}: ok: {api.KIND} {doc.body['metadata']['name']}")
    return 1 if failed else 0


# ---- train --------------------------------------------------------------------------------


def _pick_model(docs: list[Document], *, name: str | None, file: str) -> Document:
    models = [d for d in docs if d.is_mlmodel]
    names = [str((d.body.get("metadata") or {}).get("name")) for d in models]
    if name is not None:
        models = [d for d, n in zip(models, names, strict=True) if n == name]
        if not models:
            raise CliError(f"{file}: no MLModel named {name!r} (found: {', '.join(names) or '-'})")
    if not models:
        raise CliError(f"{file}: no MLModel document")
    if len(models) > 1:
        raise CliError(f"{file}: several MLModels ({', '.join(names)}); choose one with --name")
    return models[0]


def _config_map_data_root(
    docs: list[Document], volume: api.VolumeSource, *, scratch: Path
) -> Path | None:
    """When the CSV sits in a ConfigMap of the same file, lay it out as the pod would see it."""
    for doc in docs:
        body = doc.body
        if not (isinstance(body, dict) and body.get("kind") == "ConfigMap"):
            continue
        if (body.get("metadata") or {}).get("name") != volume.config_map:
            continue
        data = body.get("data") or {}
        if volume.path not in data:
            raise CliError(
                f"{doc.where}: ConfigMap {volume.config_map!r} has no key {volume.path!r}"
            )
        (scratch / volume.path).write_text(str(data[volume.path]))
        return scratch
    return None


def next_version(model_dir: Path) -> int:
    """The first free version number under a model's directory (1 for a new model)."""
    from mlmodel_operator.runtimes.artifacts import version_dirs

    return max(version_dirs(model_dir), default=0) + 1


def _cmd_train(args: argparse.Namespace) -> int:
    from mlmodel_operator.api.validate import validate_manifest

    docs = load_documents(args.file)
    doc = _pick_model(docs, name=args.name, file=args.file)
    problems = validate_manifest(doc.body)
    if problems:
        for problem in problems:
            print(f"{doc.where}: {problem}")
        raise CliError(f"{doc.where}: the MLModel is invalid; nothing trained")
    model = api.MLModel.model_validate(doc.body)

    from mlmodel_operator.runtimes.trainer.errors import TrainingRefused
    from mlmodel_operator.runtimes.trainer.run import train_version

    output: Path = args.output.resolve()
    name = model.metadata.name
    version = next_version(output / name)
    base = Path(args.file).resolve().parent if args.file != "-" else Path.cwd()
    with tempfile.TemporaryDirectory(prefix="mlmodel-data-") as scratch:
        data_root: Path = args.data_root or base
        volume = model.spec.data.source.volume
        if args.data_root is None and volume is not None and volume.config_map:
            data_root = _config_map_data_root(docs, volume, scratch=Path(scratch)) or base
        print(f"training {name} v{version} into {output / name} (data root {data_root})")
        try:
            summary = train_version(
                model.spec,
                model_name=name,
                version=version,
                artifact_root=output,
                data_root=data_root,
                baseline_version=args.baseline_version,
            )
        except TrainingRefused as exc:
            raise CliError(f"training refused: {exc}") from exc
    print(json.dumps(summary.model_dump(by_alias=True, mode="json"), indent=2))
    dir_name = contract.version_dir_name(version)
    print(f"wrote {output / name / dir_name}; serve it with: mlmodel serve {output / name}")
    return 0


# ---- serve --------------------------------------------------------------------------------


def resolve_version_dir(path: Path, *, version: int | None, model: str | None) -> Path:
    """A version directory from an output root, a model directory or a version directory."""
    from mlmodel_operator.runtimes.artifacts import version_dirs

    if not path.is_dir():
        raise CliError(f"{path}: not a directory")
    if (path / contract.MODEL_FILE).is_file():
        if version is not None and path.name != contract.version_dir_name(version):
            raise CliError(f"{path} is a version directory; --version {version} does not match")
        return path
    model_dir = path
    if not version_dirs(path):
        models = sorted(p for p in path.iterdir() if p.is_dir() and version_dirs(p))
        if model is not None:
            models = [p for p in models if p.name == model]
        if not models:
            raise CliError(f"{path}: no trained versions found (expected <model>/v<N>/)")
        if len(models) > 1:
            found = ", ".join(p.name for p in models)
            raise CliError(f"{path} holds several models ({found}); choose one with --model")
        model_dir = models[0]
    dirs = version_dirs(model_dir)
    if version is None:
        return dirs[max(dirs)]
    if version not in dirs:
        have = ", ".join(str(n) for n in sorted(dirs))
        raise CliError(f"{model_dir}: no version {version} (have: {have})")
    return dirs[version]


def _cmd_serve(args: argparse.Namespace) -> int:
    version_dir = resolve_version_dir(args.dir.resolve(), version=args.version, model=args.model)
    feedback = version_dir.parent / contract.FEEDBACK_DIR

    from mlmodel_operator.runtimes.artifacts import ArtifactError
    from mlmodel_operator.runtimes.server.app import serve
    from mlmodel_operator.runtimes.server.errors import StartupError

    print(f"serving {version_dir} on http://{args.host}:{args.port}", flush=True)
    try:
        serve(version_dir, host=args.host, port=args.port, feedback_dir=feedback)
    except (ArtifactError, StartupError) as exc:
        raise CliError(str(exc)) from exc
    return 0


# ---- crd ----------------------------------------------------------------------------------


def _cmd_crd(args: argparse.Namespace) -> int:
    from mlmodel_operator.api import crd

    sys.stdout.write(crd.to_yaml())
    return 0


# ---- wiring -------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlmodel", description="Validate, train and serve MLModel resources locally."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check MLModel manifests as the API server would")
    p.add_argument("files", nargs="+", metavar="FILE", help="YAML files ('-' for stdin)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("train", help="train a version locally, exactly as the cluster would")
    p.add_argument("file", metavar="FILE", help="YAML file with the MLModel")
    p.add_argument("--output", "-o", type=Path, required=True, help="artifact root directory")
    p.add_argument("--name", help="which MLModel, when the file has several")
    p.add_argument(
        "--data-root", type=Path, help="where volume CSV paths start (default: FILE's directory)"
    )
    p.add_argument(
        "--baseline-version",
        type=int,
        help="also score this earlier version on the new held-out data (as a retrain does)",
    )
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("serve", help="serve a locally trained version over HTTP")
    p.add_argument("dir", type=Path, metavar="DIR", help="output root, model or version dir")
    p.add_argument("--port", type=int, default=contract.HTTP_PORT)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--version", type=int, help="version to serve (default: the latest)")
    p.add_argument("--model", help="which model, when DIR holds several")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("crd", help="print the MLModel CustomResourceDefinition")
    p.set_defaults(func=_cmd_crd)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except CliError as exc:
        print(f"mlmodel: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    raise SystemExit(main())
