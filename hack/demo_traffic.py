"""Production traffic for the demo: predictions, ground-truth feedback, and a steady load.

Usage (URL is the model Service, e.g. http://10.96.0.42:8080):
  demo_traffic.py predict URL [--shift S]        predict the 150 iris rows; print accuracy
  demo_traffic.py feedback URL [--shift S]       predict, then send the true labels as feedback
  demo_traffic.py load URL --seconds N           predictions back to back; print sent/failed

--shift moves every measurement by S cm: production data the first model never saw.
Only the standard library and scikit-learn's bundled iris data are used.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
import urllib.request
from typing import Any

from sklearn.datasets import load_iris


def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def rows(shift: float) -> tuple[list[list[float]], list[int]]:
    data = load_iris()
    return [[float(v) + shift for v in r] for r in data.data], [int(t) for t in data.target]


def predict(url: str, shift: float, feedback: bool) -> None:
    x, y = rows(shift)
    answer = post(f"{url}/predict", {"instances": x})
    correct = sum(p == t for p, t in zip(answer["predictions"], y, strict=True))
    print(f"version {answer['modelVersion']}: {correct}/{len(y)} correct ({correct / len(y):.0%})")
    if feedback:
        items = [{"id": i, "label": t} for i, t in zip(answer["ids"], y, strict=True)]
        post(f"{url}/feedback", {"items": items})
        print(f"sent {len(items)} ground-truth labels to {url}/feedback")


def load(url: str, seconds: float) -> int:
    """Until SIGTERM/SIGINT or `seconds`; the summary line is printed either way."""
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    x, _ = rows(0.0)
    sent = failed = 0
    versions: dict[int, int] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stopping:
        sent += 1
        try:
            v = int(post(f"{url}/predict", {"instances": [x[sent % len(x)]]})["modelVersion"])
            versions[v] = versions.get(v, 0) + 1
        except OSError as exc:
            failed += 1
            print(f"request failed: {exc}", file=sys.stderr)
        time.sleep(0.02)
    by_version = ", ".join(f"v{v}: {n}" for v, n in sorted(versions.items()))
    print(f"load generator: {sent} requests, {failed} failed ({by_version})")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["predict", "feedback", "load"])
    parser.add_argument("url")
    parser.add_argument("--shift", type=float, default=0.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    if args.command == "load":
        return load(args.url, args.seconds)
    predict(args.url, args.shift, feedback=args.command == "feedback")
    return 0


if __name__ == "__main__":
    sys.exit(main())
