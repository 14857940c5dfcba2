"""Run an app on a real local socket for one test body."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from mlmodel_operator.api.v1alpha1 import MLModelSpec
from mlmodel_operator.runtimes.server.app import AppState, create_app
from mlmodel_operator.runtimes.server.model import LoadedModel
from mlmodel_operator.runtimes.server.service import InferenceService

Body = Callable[..., Awaitable[None]]


def make_state(
    version_dir: Path,
    *,
    spec: MLModelSpec | None = None,
    feedback_file: Path | None = None,
    threaded: bool = False,
) -> AppState:
    state = AppState()
    state.service = InferenceService(
        model=LoadedModel.load(version_dir),
        spec=spec,
        feedback_file=feedback_file,
        threaded=threaded,
    )
    return state


def run(body: Body, *states: AppState) -> None:
    """Start one test server per state and call body(client, ...) with their clients."""

    async def main() -> None:
        clients: list[TestClient[Any, Any]] = []
        try:
            for state in states:
                client: TestClient[Any, Any] = TestClient(TestServer(create_app(state)))
                await client.start_server()
                clients.append(client)
            await body(*clients)
        finally:
            for c in clients:
                await c.close()

    asyncio.run(main())
