"""HTTP routes (aiohttp): thin wrappers that read bytes, call the codec and the data plane.

Routes (paths from ``api.contract`` where shared):

    GET  /v2/health/live                     200 while the process runs
    GET  /v2/health/ready                    200 only after load + warm-up, else 503
    GET  /v2/models/{name}                   V2 model metadata (inputs, outputs, versions)
    GET  /v2/models/{name}/ready             as /v2/health/ready, for one model
    POST /v2/models/{name}/infer             Open Inference Protocol V2
    POST /v1/models/{name}:predict, /predict {"instances": [...]} -> predictions, ids, modelVersion
    POST /feedback                           {"items": [{id|features, label}]}
    GET  /metrics                            Prometheus text format

Every handler is wrapped by ``_endpoint``, which turns a ``ServerError`` into a JSON error with
its status, and records the request count and latency. ``serve`` binds the port first (so
liveness answers while the model loads) and flips readiness after load + warm-up.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from mlmodel_operator.api import contract
from mlmodel_operator.api.v1alpha1 import MLModelSpec
from mlmodel_operator.runtimes.server import codec
from mlmodel_operator.runtimes.server.errors import (
    BadRequest,
    NotFound,
    NotReady,
    PayloadTooLarge,
    ServerError,
    StartupError,
)
from mlmodel_operator.runtimes.server.metrics import CONTENT_TYPE
from mlmodel_operator.runtimes.server.model import LoadedModel
from mlmodel_operator.runtimes.server.service import InferenceService

log = logging.getLogger(__name__)

HARD_BODY_LIMIT = 1 << 30
STATE: web.AppKey[AppState] = web.AppKey("state")
Handler = Callable[[web.Request], Awaitable[web.Response]]


class AppState:
    """The service once loaded; None before (readiness false, inference 503)."""

    def __init__(self) -> None:
        self.service: InferenceService | None = None

    def ready(self) -> InferenceService:
        if self.service is None:
            raise NotReady("the model is still loading")
        return self.service


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(payload), status=status, content_type="application/json")


def _endpoint(name: str) -> Callable[[Handler], Handler]:
    def wrap(handler: Handler) -> Handler:
        async def run(request: web.Request) -> web.Response:
            start = time.perf_counter()
            try:
                response = await handler(request)
            except ServerError as exc:
                response = _json({"error": exc.message}, exc.status_code)
            except web.HTTPRequestEntityTooLarge as exc:
                response = _json({"error": f"request body too large: {exc.text}"}, 413)
            except Exception as exc:  # a bug, not bad input: answer 500, keep serving
                log.exception("Failed to handle %s %s", request.method, request.path)
                response = _json({"error": f"internal error: {type(exc).__name__}"}, 500)
            service = request.app[STATE].service
            if service is not None:
                service.metrics.observe_request(name, response.status, time.perf_counter() - start)
            return response

        return run

    return wrap


async def _body(request: web.Request, service: InferenceService) -> dict[str, Any]:
    length = request.content_length
    if length is not None and length > service.max_body_bytes:
        raise PayloadTooLarge(
            f"request body has {length} bytes; the limit is {service.max_body_bytes}"
        )
    body = await request.read()
    if len(body) > service.max_body_bytes:
        raise PayloadTooLarge(
            f"request body has {len(body)} bytes; the limit is {service.max_body_bytes}"
        )
    return codec.parse_json(body)


def _check_name(request: web.Request, service: InferenceService) -> None:
    name = request.match_info.get("name")
    if name is not None and name != service.model.name:
        raise NotFound(f"model {name!r} not found; this server serves {service.model.name!r}")


async def _parse(request: web.Request, service: InferenceService, *, v2: bool) -> Any:
    service.batcher.arrive()
    try:
        payload = await _body(request, service)
        if v2:
            return payload, codec.v2_to_array(payload, service.schema)
        rows = payload.get("instances", payload.get("inputs"))
        if rows is None:
            raise BadRequest("request must have 'instances': a list of rows")
        return payload, codec.rows_to_array(rows, service.schema)
    finally:
        service.batcher.depart()


@_endpoint("infer")
async def infer_v2(request: web.Request) -> web.Response:
    service = request.app[STATE].ready()
    _check_name(request, service)
    payload, x = await _parse(request, service, v2=True)
    predictions, ids = await service.predict(x)
    request_id = payload.get("id")
    return _json(
        {
            "model_name": service.model.name,
            "model_version": str(service.model.version),
            "id": request_id if isinstance(request_id, str) else ids[0] if len(ids) == 1 else "",
            "outputs": [
                {
                    "name": "predict",
                    "shape": [len(ids)],
                    "datatype": codec.v2_datatype(predictions),
                    "data": predictions.tolist(),
                },
                {"name": "prediction_id", "shape": [len(ids)], "datatype": "BYTES", "data": ids},
            ],
        }
    )


@_endpoint("predict")
async def predict_plain(request: web.Request) -> web.Response:
    service = request.app[STATE].ready()
    _check_name(request, service)
    _, x = await _parse(request, service, v2=False)
    predictions, ids = await service.predict(x)
    return _json(
        {"predictions": predictions.tolist(), "ids": ids, "modelVersion": service.model.version}
    )


@_endpoint("feedback")
async def feedback(request: web.Request) -> web.Response:
    service = request.app[STATE].ready()
    payload = await _body(request, service)
    return _json(await service.feedback(payload))


@_endpoint("metadata")
async def metadata(request: web.Request) -> web.Response:
    service = request.app[STATE].ready()
    _check_name(request, service)
    m = service.model
    out_type = "BYTES"
    if m.classes is None:
        out_type = "FP64"
    elif all(isinstance(c, int) for c in m.classes):
        out_type = "INT64"
    return _json(
        {
            "name": m.name,
            "versions": [str(m.version)],
            "platform": "sklearn",
            "inputs": [
                {"name": f, "datatype": "BYTES" if cat else "FP64", "shape": [-1]}
                for f, cat in zip(m.feature_names, m.categorical, strict=True)
            ],
            "outputs": [
                {"name": "predict", "datatype": out_type, "shape": [-1]},
                {"name": "prediction_id", "datatype": "BYTES", "shape": [-1]},
            ],
            "parameters": {
                "sha256": m.sha256,
                "classes": m.classes,
                "note": "send one [rows, features] tensor or one tensor per feature",
            },
        }
    )


async def live(request: web.Request) -> web.Response:
    return _json({"live": True})


async def ready(request: web.Request) -> web.Response:
    service = request.app[STATE].service
    if service is None:
        return _json({"ready": False, "error": "the model is still loading"}, 503)
    name = request.match_info.get("name")
    if name is not None and name != service.model.name:
        return _json({"error": f"model {name!r} not found"}, 404)
    return _json({"ready": True})


async def metrics(request: web.Request) -> web.Response:
    service = request.app[STATE].service
    if service is None:
        return web.Response(body=b"", content_type="text/plain")
    service.refresh_drift()
    body = service.metrics.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def create_app(state: AppState) -> web.Application:
    app = web.Application(client_max_size=HARD_BODY_LIMIT)
    app[STATE] = state
    app.router.add_get(contract.LIVE_PATH, live)
    app.router.add_get(contract.READY_PATH, ready)
    app.router.add_get("/v2/models/{name}", metadata)
    app.router.add_get("/v2/models/{name}/ready", ready)
    app.router.add_post("/v2/models/{name}/infer", infer_v2)
    app.router.add_post("/v1/models/{name}:predict", predict_plain)
    app.router.add_post("/predict", predict_plain)
    app.router.add_post(contract.FEEDBACK_PATH, feedback)
    app.router.add_get(contract.METRICS_PATH, metrics)
    return app


async def run_server(
    version_dir: Path,
    *,
    host: str,
    port: int,
    feedback_file: Path | None,
    expected_sha256: str | None,
    spec: MLModelSpec | None,
    reuse_port: bool = False,
    threaded: bool = False,
) -> None:
    """Bind, load + warm up (then ready), serve until SIGTERM/SIGINT. StartupError if unloadable."""
    state = AppState()
    runner = web.AppRunner(create_app(state), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None, backlog=2048)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        model = await loop.run_in_executor(
            None, lambda: LoadedModel.load(version_dir, expected_sha256=expected_sha256)
        )
        state.service = InferenceService(
            model=model, spec=spec, feedback_file=feedback_file, threaded=threaded
        )
        # Everything loaded so far (sklearn, numpy, the model) lives until exit: keep it out of
        # the collector's reach, so a full collection no longer stalls requests for ~60 ms.
        gc.freeze()
        log.info("Serving model %s v%d on %s:%d", model.name, model.version, host, port)
        await stop.wait()
        log.info("Stopping: no longer ready")
    finally:
        service, state.service = state.service, None
        await runner.cleanup()
        if service is not None:
            service.close()


def serve(
    version_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = contract.HTTP_PORT,
    workers: int = 1,
    feedback_dir: Path | None = None,
    expected_sha256: str | None = None,
    spec: MLModelSpec | None = None,
    pod_name: str | None = None,
) -> None:
    """Serve one version (blocking). Raises StartupError (checksum, missing files, bad model)."""
    from mlmodel_operator.runtimes.server import workers as workers_mod

    feedback_file = None
    if feedback_dir is not None:
        feedback_file = feedback_dir / f"{pod_name or workers_mod.pod_name()}.jsonl"
    if workers > 1:
        workers_mod.run_workers(
            version_dir,
            host=host,
            port=port,
            workers=workers,
            feedback_file=feedback_file,
            expected_sha256=expected_sha256,
            spec=spec,
        )
        return
    asyncio.run(
        run_server(
            version_dir,
            host=host,
            port=port,
            feedback_file=feedback_file,
            expected_sha256=expected_sha256,
            spec=spec,
        )
    )


__all__ = ["AppState", "StartupError", "create_app", "run_server", "serve"]
