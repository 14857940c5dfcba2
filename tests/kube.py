"""Test helpers that talk to the real local cluster through the built kubectl.

Tests use kubectl (as users do) rather than a client library, so what they prove is what a user
would see. Everything here is plain subprocess I/O with clear failure messages.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class KubectlError(AssertionError):
    """kubectl exited non-zero; carries its stderr so a failing test says why."""


@dataclass(frozen=True)
class Kubectl:
    """A kubectl bound to one kubeconfig (and optionally one namespace)."""

    binary: str
    kubeconfig: str
    namespace: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    def in_namespace(self, namespace: str) -> Kubectl:
        return Kubectl(self.binary, self.kubeconfig, namespace, self.env)

    def run(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        cmd = [self.binary, "--kubeconfig", self.kubeconfig]
        if self.namespace and "-n" not in args and "--namespace" not in args:
            cmd += ["-n", self.namespace]
        cmd += list(args)
        proc = subprocess.run(
            cmd,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **self.env},
        )
        if check and proc.returncode != 0:
            raise KubectlError(
                f"kubectl {' '.join(args)} exited {proc.returncode}:\n{proc.stderr.strip()}"
            )
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        """The object, or None if it does not exist."""
        proc = self.run("get", kind, name, "-o", "json", check=False)
        if proc.returncode != 0:
            if "NotFound" in proc.stderr or "not found" in proc.stderr:
                return None
            raise KubectlError(f"kubectl get {kind} {name}: {proc.stderr.strip()}")
        return json.loads(proc.stdout)  # type: ignore[no-any-return]

    def apply(self, obj: dict[str, Any] | str | Path) -> subprocess.CompletedProcess[str]:
        """Apply an object (dict), YAML text, or a file path."""
        if isinstance(obj, Path):
            return self.run("apply", "-f", str(obj))
        text = obj if isinstance(obj, str) else yaml.safe_dump(obj)
        return self.run("apply", "-f", "-", input=text)

    def apply_expect_error(self, obj: dict[str, Any] | str) -> str:
        """Apply something the API server must refuse; returns its error message."""
        text = obj if isinstance(obj, str) else yaml.safe_dump(obj)
        proc = self.run("apply", "-f", "-", input=text, check=False)
        if proc.returncode == 0:
            raise AssertionError(f"the API server accepted what it should refuse:\n{text}")
        return proc.stderr


def wait_for(
    what: str, probe: Callable[[], T | None], *, timeout: float = 120, interval: float = 1.0
) -> T:
    """Poll `probe` until it returns something truthy; fail with `what` and the last value."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f}s waiting for {what}; last: {last!r}"
            )
        time.sleep(interval)
