"""The contract between the operator and the pods it runs: names both sides must agree on.

The controller writes these (env vars, mounts, ports, labels); the trainer and server read them.
Nothing here does I/O, and no other module spells these strings out.
"""

from __future__ import annotations

from typing import Final

# ---- container environment --------------------------------------------------------------
ENV_SPEC: Final = "MLMODEL_SPEC"
"""The resolved MLModel spec as JSON (camelCase, defaults filled in)."""
ENV_MODEL_NAME: Final = "MLMODEL_NAME"
"""The MLModel's metadata.name."""
ENV_VERSION: Final = "MLMODEL_VERSION"
"""Trainer: the version to train. Server: the version to serve."""
ENV_BASELINE_VERSION: Final = "MLMODEL_BASELINE_VERSION"
"""Trainer: the serving version to compare against on the candidate's held-out data (optional)."""
ENV_ARTIFACT_ROOT: Final = "MLMODEL_ARTIFACT_ROOT"
"""Root of the model volume inside the pod."""
ENV_ARTIFACT_SHA256: Final = "MLMODEL_ARTIFACT_SHA256"
"""Server: the checksum the operator recorded; the server refuses a model file that differs."""
ENV_DATA_ROOT: Final = "MLMODEL_DATA_ROOT"
"""Trainer: where a volume data source (PVC or ConfigMap) is mounted."""
ENV_POD_NAME: Final = "MLMODEL_POD_NAME"
"""Server: this pod's name (from the downward API), used to name its feedback file."""
ENV_WORKERS: Final = "MLMODEL_WORKERS"
"""Server: worker processes (0 = one per CPU of the container's limit)."""
ENV_PORT: Final = "MLMODEL_PORT"
ENV_TERMINATION_LOG: Final = "MLMODEL_TERMINATION_LOG"
"""Trainer: where to write the JSON summary (default: the Kubernetes termination message path)."""
ENV_OPERATOR_IMAGE: Final = "MLMODEL_OPERATOR_RUNTIME_IMAGE"
"""Operator: the default runtime image for training and serving pods."""

# ---- volumes and files -------------------------------------------------------------------
ARTIFACT_ROOT: Final = "/mnt/models"
DATA_ROOT: Final = "/mnt/data"
TERMINATION_LOG: Final = "/dev/termination-log"
TERMINATION_MESSAGE_LIMIT: Final = 4096
"""Kubernetes keeps at most 4 KiB of a termination message."""
MODEL_FILE: Final = "model.joblib"
METADATA_FILE: Final = "metadata.json"
"""Metrics, data report, fingerprint, checksum, feature names and classes of a version."""
REFERENCE_FILE: Final = "reference.json"
"""Per-feature reference histograms of the training data, for drift."""
FEEDBACK_DIR: Final = "feedback"
"""Per model: labelled rows from production, one append-only JSONL file per serving pod."""


def version_dir_name(version: int) -> str:
    """The directory of one version under the model's directory: v1, v2, ..."""
    return f"v{version}"


def model_dir(root: str, model_name: str) -> str:
    """The model's directory on the volume: <root>/<model-name>."""
    return f"{root}/{model_name}"


def version_dir(root: str, model_name: str, version: int) -> str:
    return f"{model_dir(root, model_name)}/{version_dir_name(version)}"


def feedback_dir(root: str, model_name: str) -> str:
    return f"{model_dir(root, model_name)}/{FEEDBACK_DIR}"


# ---- network -----------------------------------------------------------------------------
HTTP_PORT: Final = 8080
"""The server's only port: inference, feedback, health and /metrics."""
PORT_NAME: Final = "http"
READY_PATH: Final = "/v2/health/ready"
LIVE_PATH: Final = "/v2/health/live"
METRICS_PATH: Final = "/metrics"
FEEDBACK_PATH: Final = "/feedback"

# ---- labels ------------------------------------------------------------------------------
LABEL_NAME: Final = "app.kubernetes.io/name"
LABEL_INSTANCE: Final = "app.kubernetes.io/instance"
LABEL_COMPONENT: Final = "app.kubernetes.io/component"
LABEL_MANAGED_BY: Final = "app.kubernetes.io/managed-by"
LABEL_VERSION: Final = "mlops.dev/version"
APP_NAME: Final = "mlmodel"
MANAGER: Final = "mlmodel-operator"
COMPONENT_TRAINER: Final = "trainer"
COMPONENT_SERVER: Final = "server"

ANNOTATION_RETRAIN: Final = "mlops.dev/retrain"
"""Set (or change) this annotation to any value to ask for a manual retrain."""

# ---- the server's metrics, read by the operator -----------------------------------------
METRIC_LIVE_VALUE: Final = "mlmodel_live_metric"
"""Gauge {metric}: the live metric over the feedback window (or drift score)."""
METRIC_LIVE_SAMPLES: Final = "mlmodel_live_metric_samples"
"""Gauge {metric}: samples behind mlmodel_live_metric."""
METRIC_REQUESTS: Final = "mlmodel_requests_total"
METRIC_REQUEST_SECONDS: Final = "mlmodel_request_duration_seconds"
METRIC_ROWS: Final = "mlmodel_rows_predicted_total"
METRIC_PREDICTIONS: Final = "mlmodel_predictions_total"
METRIC_FEATURE_DRIFT: Final = "mlmodel_feature_drift"
METRIC_DRIFT_SCORE: Final = "mlmodel_drift_score"
METRIC_MODEL_INFO: Final = "mlmodel_model_info"
