"""The MLModel API (mlops.dev/v1alpha1) as typed models: the single source of truth.

The CRD under ``crds/`` is generated from these classes by ``python -m mlmodel_operator.api.crd``:
field descriptions become ``kubectl explain`` text, ``Field`` bounds and enums become OpenAPI
constraints, and each class's ``__cel_rules__`` become ``x-kubernetes-validations`` that the API
server enforces. ``mlmodel validate`` checks the very same schema and rules offline.

Wire names are camelCase (Kubernetes convention); Python attributes are snake_case.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

GROUP: Final = "mlops.dev"
VERSION: Final = "v1alpha1"
KIND: Final = "MLModel"
PLURAL = "mlmodels"
SINGULAR = "mlmodel"
SHORT_NAMES = ["mlm"]
API_VERSION: Final = "mlops.dev/v1alpha1"  # GROUP/VERSION, spelled out for the type checker

MAX_VERSION_HISTORY = 20
"""Status keeps at most this many versions (the newest), so the object stays small."""


class CelRule(BaseModel):
    """One ``x-kubernetes-validations`` entry: a CEL expression over ``self`` and its message."""

    model_config = ConfigDict(frozen=True)

    rule: str
    message: str
    field_path: str | None = None
    """Where the API server reports the error (``fieldPath``), relative to the object."""


class ApiModel(BaseModel):
    """Base for every API object: camelCase on the wire, unknown fields refused (as the CRD does)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        use_attribute_docstrings=True,
    )
    __cel_rules__: ClassVar[tuple[CelRule, ...]] = ()

    def to_wire(self) -> dict[str, Any]:
        """The object as it appears in Kubernetes (camelCase, unset fields left out)."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------


class BundledDataset(StrEnum):
    """Datasets that ship inside scikit-learn (no download)."""

    IRIS = "iris"
    WINE = "wine"
    BREAST_CANCER = "breast_cancer"
    DIGITS = "digits"
    DIABETES = "diabetes"


class Task(StrEnum):
    CLASSIFICATION = "classification"
    REGRESSION = "regression"


class Estimator(StrEnum):
    """The scikit-learn estimators the trainer may build (an allow-list: no arbitrary imports)."""

    LOGISTIC_REGRESSION = "LogisticRegression"
    RANDOM_FOREST_CLASSIFIER = "RandomForestClassifier"
    GRADIENT_BOOSTING_CLASSIFIER = "GradientBoostingClassifier"
    DECISION_TREE_CLASSIFIER = "DecisionTreeClassifier"
    K_NEIGHBORS_CLASSIFIER = "KNeighborsClassifier"
    SVC = "SVC"
    GAUSSIAN_NB = "GaussianNB"
    LINEAR_REGRESSION = "LinearRegression"
    RIDGE = "Ridge"
    RANDOM_FOREST_REGRESSOR = "RandomForestRegressor"
    GRADIENT_BOOSTING_REGRESSOR = "GradientBoostingRegressor"
    DECISION_TREE_REGRESSOR = "DecisionTreeRegressor"
    K_NEIGHBORS_REGRESSOR = "KNeighborsRegressor"

    @property
    def task(self) -> Task:
        return Task.REGRESSION if self in REGRESSORS else Task.CLASSIFICATION


REGRESSORS: frozenset[Estimator] = frozenset(
    {
        Estimator.LINEAR_REGRESSION,
        Estimator.RIDGE,
        Estimator.RANDOM_FOREST_REGRESSOR,
        Estimator.GRADIENT_BOOSTING_REGRESSOR,
        Estimator.DECISION_TREE_REGRESSOR,
        Estimator.K_NEIGHBORS_REGRESSOR,
    }
)


class MissingPolicy(StrEnum):
    DROP = "drop"
    MEDIAN = "median"
    MOST_FREQUENT = "mostFrequent"


class OutlierMethod(StrEnum):
    NONE = "none"
    IQR = "iqr"
    ZSCORE = "zscore"


class MonitoringMetric(StrEnum):
    """What the operator watches in production.

    accuracy/f1 (classifiers) and rmse/mae (regressors) come from ground-truth feedback sent to
    the server; drift is the server's population-stability index of recent inputs against the
    training data; prometheus is any PromQL query.
    """

    ACCURACY = "accuracy"
    F1 = "f1"
    RMSE = "rmse"
    MAE = "mae"
    DRIFT = "drift"
    PROMETHEUS = "prometheus"


HIGHER_IS_BETTER: dict[MonitoringMetric, bool] = {
    MonitoringMetric.ACCURACY: True,
    MonitoringMetric.F1: True,
    MonitoringMetric.RMSE: False,
    MonitoringMetric.MAE: False,
    MonitoringMetric.DRIFT: False,
}
CLASSIFIER_METRICS = (MonitoringMetric.ACCURACY, MonitoringMetric.F1)
REGRESSOR_METRICS = (MonitoringMetric.RMSE, MonitoringMetric.MAE)

ParamValue = int | float | str | bool | None
Quantity = Annotated[str, Field(pattern=r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")]


def _cel_list(values: Any) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


# --------------------------------------------------------------------------------------------
# spec.data
# --------------------------------------------------------------------------------------------


class VolumeSource(ApiModel):
    """A CSV file on a volume mounted into the training pod: a PVC or a ConfigMap (exactly one)."""

    __cel_rules__ = (
        CelRule(
            rule="has(self.claimName) != has(self.configMap)",
            message="set exactly one of claimName or configMap",
        ),
    )

    claim_name: str | None = Field(default=None, min_length=1, max_length=253)
    """Name of a PersistentVolumeClaim in the model's namespace that holds the CSV file."""
    config_map: str | None = Field(default=None, min_length=1, max_length=253)
    """Name of a ConfigMap in the model's namespace whose key `path` holds the CSV file."""
    path: str = Field(min_length=1, max_length=1024, pattern=r"^[^/].*\.csv$")
    """Path of the CSV file inside the volume (relative, ending in .csv); for a ConfigMap, the key."""


class DataSource(ApiModel):
    """Where the training data comes from: exactly one of dataset, volume or url."""

    __cel_rules__ = (
        CelRule(
            rule="(has(self.dataset) ? 1 : 0) + (has(self.volume) ? 1 : 0)"
            " + (has(self.url) ? 1 : 0) == 1",
            message="set exactly one data source: dataset, volume or url",
        ),
    )

    dataset: BundledDataset | None = None
    """A dataset bundled with scikit-learn, loaded without any download."""
    volume: VolumeSource | None = None
    """A CSV file on a PersistentVolumeClaim or in a ConfigMap."""
    url: str | None = Field(default=None, max_length=2048, pattern=r"^https?://[^\s]+$")
    """A CSV file fetched over http(s) by the training pod."""


class OutlierPolicy(ApiModel):
    """Outlier removal on numeric feature columns."""

    method: OutlierMethod = OutlierMethod.NONE
    """none, iqr (outside [Q1 - k*IQR, Q3 + k*IQR]) or zscore (|z| > k)."""
    threshold: float = Field(default=3.0, gt=0, le=100)
    """k: the IQR multiplier (1.5 is customary) or the z-score limit (3 is customary)."""


class Cleaning(ApiModel):
    """Cleaning steps, applied in this order: drop columns, booleans, duplicates, missing, outliers."""

    drop_columns: list[Annotated[str, Field(max_length=256)]] = Field(
        default_factory=list, max_length=256
    )
    """Columns to remove before anything else (ids, free text, leaks)."""
    boolean_columns: list[Annotated[str, Field(max_length=256)]] = Field(
        default_factory=list, max_length=256
    )
    """Columns whose yes/Y/true/True/1 and no/N/false/False/0 values become true/false; any other
    value refuses the data, naming the column, the value and how many rows hold it."""
    drop_duplicates: bool = True
    """Drop exact duplicate rows."""
    missing: MissingPolicy = MissingPolicy.DROP
    """Missing values: drop the row, or impute the column's median / most frequent value."""
    outliers: OutlierPolicy = Field(default_factory=OutlierPolicy)
    """Outlier removal on numeric features."""


class Validation(ApiModel):
    """Checks on the cleaned data; a failing check refuses to train, with the rule and a message."""

    min_rows: int = Field(default=20, ge=1, le=100_000_000)
    """Minimum rows after cleaning."""
    required_columns: list[Annotated[str, Field(max_length=256)]] = Field(
        default_factory=list, max_length=256
    )
    """Columns that must be present in the raw data."""
    max_missing_fraction: float = Field(default=0.2, ge=0, le=1)
    """Largest fraction of missing cells allowed in any column of the raw data."""
    min_classes: int = Field(default=2, ge=2, le=10_000)
    """Classifiers only: the target must have at least this many classes."""


class DataSpec(ApiModel):
    """The training data: source, target, features, cleaning and validation."""

    __cel_rules__ = (
        CelRule(
            rule="has(self.source.dataset) || has(self.target)",
            message="target is required for volume and url sources",
            field_path=".target",
        ),
    )

    source: DataSource
    """Where the data comes from."""
    target: str | None = Field(default=None, min_length=1, max_length=256)
    """The label column. Bundled datasets default to 'target'."""
    features: list[Annotated[str, Field(max_length=256)]] = Field(
        default_factory=list, max_length=1024
    )
    """Feature columns to use; empty means every column but the target."""
    cleaning: Cleaning = Field(default_factory=Cleaning)
    """How the data is cleaned before validation."""
    validation: Validation = Field(default_factory=Validation)
    """What the cleaned data must satisfy."""
    include_feedback: bool = False
    """Merge labelled feedback collected by the serving pods into the training data (deduplicated),
    so that retraining learns from production."""


# --------------------------------------------------------------------------------------------
# spec.training / spec.serving
# --------------------------------------------------------------------------------------------


class Resources(ApiModel):
    """Container resources, as in a Pod spec (quantities such as 500m, 1, 256Mi)."""

    requests: dict[str, Quantity] = Field(default_factory=dict)
    """Minimum resources, e.g. {cpu: 250m, memory: 256Mi}."""
    limits: dict[str, Quantity] = Field(default_factory=dict)
    """Maximum resources, e.g. {cpu: '1', memory: 1Gi}."""


class TrainingSpec(ApiModel):
    """How a version is trained and evaluated."""

    estimator: Estimator = Estimator.RANDOM_FOREST_CLASSIFIER
    """A scikit-learn estimator from the allow-list; it decides classification or regression."""
    params: dict[str, ParamValue] = Field(default_factory=dict, max_length=64)
    """Constructor parameters of the estimator, e.g. {n_estimators: 100, max_depth: 8}."""
    test_fraction: float = Field(default=0.25, ge=0.05, le=0.5)
    """Fraction of the cleaned rows held out for evaluation (stratified for classifiers)."""
    seed: int = Field(default=42, ge=0, le=2**31 - 1)
    """Random seed: the same data and seed give the same model and metrics."""
    resources: Resources = Field(default_factory=Resources)
    """Resources of the training container."""
    deadline_seconds: int = Field(default=1800, ge=30, le=86_400)
    """The training Job's activeDeadlineSeconds."""
    retries: int = Field(default=1, ge=0, le=10)
    """The training Job's backoffLimit (pod retries after a failure)."""


class RolloutPolicy(ApiModel):
    """The serving Deployment's rolling update; the defaults never drop below the desired replicas."""

    max_surge: int = Field(default=1, ge=0, le=100)
    """Extra pods allowed during a rollout."""
    max_unavailable: int = Field(default=0, ge=0, le=100)
    """Pods allowed to be unavailable during a rollout."""


class BatchingPolicy(ApiModel):
    """Adaptive micro-batching: concurrent requests share one predict call."""

    enabled: bool = True
    """Coalesce concurrent requests into one predict call."""
    max_batch_size: int = Field(default=1024, ge=1, le=65_536)
    """Most rows in one predict call."""
    max_wait_ms: float = Field(default=2.0, ge=0, le=1000)
    """Longest a request waits for company; a lone request never waits."""


class ServingSpec(ApiModel):
    """How the promoted version is served."""

    __cel_rules__ = (
        CelRule(
            rule="self.rollout.maxSurge + self.rollout.maxUnavailable > 0",
            message="rollout.maxSurge and rollout.maxUnavailable cannot both be 0",
            field_path=".rollout",
        ),
    )

    replicas: int = Field(default=1, ge=0, le=1000)
    """Serving pods (also the scale subresource, so kubectl scale and HPA work)."""
    resources: Resources = Field(default_factory=Resources)
    """Resources of the serving container; workers follow the CPU limit."""
    rollout: RolloutPolicy = Field(default_factory=RolloutPolicy)
    """The rolling update of a new version."""
    batching: BatchingPolicy = Field(default_factory=BatchingPolicy)
    """Micro-batching of concurrent requests."""
    max_request_rows: int = Field(default=10_000, ge=1, le=1_000_000)
    """Largest number of rows in one request; bigger requests get HTTP 413."""


# --------------------------------------------------------------------------------------------
# spec.monitoring / spec.retraining
# --------------------------------------------------------------------------------------------


class PrometheusQuery(ApiModel):
    """A PromQL query whose scalar result is the monitored metric."""

    url: str = Field(max_length=2048, pattern=r"^https?://[^\s]+$")
    """Base URL of the Prometheus server, e.g. http://prometheus.monitoring:9090."""
    query: str = Field(min_length=1, max_length=4096)
    """PromQL returning one sample (a scalar or a one-element vector)."""
    higher_is_better: bool = True
    """Whether larger values are better (then values below the threshold are a breach)."""


class MonitoringSpec(ApiModel):
    """What is watched in production and when it counts as degraded."""

    __cel_rules__ = (
        CelRule(
            rule=f"!(self.metric in {_cel_list(CLASSIFIER_METRICS)})"
            " || (self.threshold >= 0.0 && self.threshold <= 1.0)",
            message="threshold for accuracy and f1 must be within [0, 1]",
            field_path=".threshold",
        ),
        CelRule(
            rule=f"!(self.metric in {_cel_list([*REGRESSOR_METRICS, MonitoringMetric.DRIFT])})"
            " || self.threshold >= 0.0",
            message="threshold for rmse, mae and drift must be >= 0",
            field_path=".threshold",
        ),
        CelRule(
            rule="(self.metric == 'prometheus') == has(self.prometheus)",
            message="prometheus (url and query) is required exactly when metric is prometheus",
            field_path=".prometheus",
        ),
    )

    metric: MonitoringMetric = MonitoringMetric.ACCURACY
    """accuracy | f1 | rmse | mae (from feedback), drift (inputs vs training data) or prometheus."""
    threshold: float = 0.8
    """Retrain when the metric is worse than this (below for accuracy/f1/higher-is-better queries,
    above for rmse/mae/drift)."""
    prometheus: PrometheusQuery | None = None
    """The query, when metric is prometheus."""
    interval_seconds: int = Field(default=30, ge=5, le=86_400)
    """How often the operator reads the metric."""
    min_samples: int = Field(default=50, ge=1, le=10_000_000)
    """Labelled samples (or inputs, for drift) needed before a value counts."""
    window: int = Field(default=500, ge=10, le=1_000_000)
    """Size of the serving pods' sliding window of recent feedback / inputs."""


class GatePolicy(ApiModel):
    """The promotion gate a candidate must pass before it serves."""

    min_score: float = Field(default=0.0)
    """Least held-out score to promote: accuracy for classifiers, R2 for regressors."""
    must_beat_serving: bool = True
    """Also require the candidate to score at least as well as the serving version on the
    candidate's held-out data."""


class RetrainingSpec(ApiModel):
    """Automatic retraining when the monitored metric is worse than the threshold."""

    enabled: bool = True
    """Retrain automatically on a breach."""
    cooldown_seconds: int = Field(default=600, ge=0, le=604_800)
    """Least time between two retrains."""
    max_per_day: int = Field(default=6, ge=0, le=1440)
    """Most automatic retrains in any 24 hours."""
    gate: GatePolicy = Field(default_factory=GatePolicy)
    """What a candidate must pass to replace the serving version."""


class StorageSpec(ApiModel):
    """Where versions and feedback are stored."""

    claim_name: str | None = Field(default=None, min_length=1, max_length=253)
    """Use this existing PersistentVolumeClaim instead of creating one."""
    size: Quantity = "1Gi"
    """Size of the claim the operator creates."""
    storage_class_name: str | None = Field(default=None, max_length=253)
    """StorageClass of the claim the operator creates (default: the cluster's default class)."""


class MLModelSpec(ApiModel):
    """The desired life of one model: data, training, serving, monitoring and retraining."""

    __cel_rules__ = (
        CelRule(
            rule=f"!(self.monitoring.metric in {_cel_list(CLASSIFIER_METRICS)})"
            f" || !(self.training.estimator in {_cel_list(sorted(REGRESSORS))})",
            message="accuracy and f1 need a classifier estimator",
            field_path=".monitoring.metric",
        ),
        CelRule(
            rule=f"!(self.monitoring.metric in {_cel_list(REGRESSOR_METRICS)})"
            f" || self.training.estimator in {_cel_list(sorted(REGRESSORS))}",
            message="rmse and mae need a regressor estimator",
            field_path=".monitoring.metric",
        ),
    )

    data: DataSpec
    """Training data and its cleaning and validation."""
    training: TrainingSpec = Field(default_factory=TrainingSpec)
    """Estimator, parameters and evaluation."""
    serving: ServingSpec = Field(default_factory=ServingSpec)
    """Serving replicas, resources and rollout."""
    monitoring: MonitoringSpec = Field(default_factory=MonitoringSpec)
    """The production metric and its threshold."""
    retraining: RetrainingSpec = Field(default_factory=RetrainingSpec)
    """Automatic retraining and the promotion gate."""
    storage: StorageSpec = Field(default_factory=StorageSpec)
    """The volume holding versions and feedback."""
    image: str | None = Field(default=None, min_length=1, max_length=512)
    """Runtime image for training and serving pods (default: the operator's configured image)."""

    @property
    def task(self) -> Task:
        return self.training.estimator.task


# --------------------------------------------------------------------------------------------
# status
# --------------------------------------------------------------------------------------------


class Phase(StrEnum):
    PENDING = "Pending"
    TRAINING = "Training"
    SERVING = "Serving"
    ROLLING_OUT = "RollingOut"
    RETRAINING = "Retraining"
    DEGRADED = "Degraded"
    FAILED = "Failed"


class ConditionType(StrEnum):
    TRAINED = "Trained"
    READY = "Ready"
    DEGRADED = "Degraded"
    RETRAINING = "Retraining"


class Condition(ApiModel):
    """A Kubernetes-style condition (type/status/reason/message/lastTransitionTime)."""

    type: str
    """Trained, Ready, Degraded or Retraining."""
    status: Literal["True", "False", "Unknown"]
    """True, False or Unknown."""
    reason: str = Field(pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$", max_length=1024)
    """A CamelCase word saying why (see the README's table of reasons)."""
    message: str = Field(default="", max_length=32_768)
    """A human-readable explanation."""
    last_transition_time: str
    """When status last changed (RFC 3339)."""
    observed_generation: int | None = None
    """The .metadata.generation the condition was computed from."""


class VersionState(StrEnum):
    TRAINING = "Training"
    FAILED = "Failed"
    REJECTED = "Rejected"
    PROMOTED = "Promoted"
    RETIRED = "Retired"


class DataReport(ApiModel):
    """What cleaning did to the data: rows in, rows out and each step's count."""

    rows_in: int = 0
    """Rows loaded (including merged feedback)."""
    rows_out: int = 0
    """Rows left after cleaning (train + held-out)."""
    feedback_rows: int = 0
    """Rows merged from production feedback."""
    dropped_columns: list[str] = Field(default_factory=list)
    """Columns removed by cleaning.dropColumns."""
    normalized_booleans: dict[str, int] = Field(default_factory=dict)
    """Per boolean column, how many values were normalised."""
    duplicates_removed: int = 0
    """Exact duplicate rows removed."""
    missing_rows_dropped: int = 0
    """Rows dropped for missing values."""
    missing_values_imputed: int = 0
    """Cells imputed."""
    outliers_removed: int = 0
    """Rows removed as outliers."""


class ModelVersion(ApiModel):
    """One training run: why it ran, what it scored, and whether it serves."""

    version: int = Field(ge=1)
    """1, 2, 3 ...: also the artifact directory v<N> on the model volume."""
    trigger: str
    """Why it was trained: Created, SpecChanged, MetricBreach or Manual."""
    trigger_message: str = ""
    """Details of the trigger, e.g. the metric value and threshold."""
    state: VersionState = VersionState.TRAINING
    """Training, Failed, Rejected, Promoted (serving now) or Retired (served before)."""
    reason: str = ""
    """Why it ended in that state (gate verdict, failure reason)."""
    job_name: str = ""
    """The training Job."""
    spec_hash: str = ""
    """Hash of spec.data + spec.training it was trained from."""
    metrics: dict[str, float] = Field(default_factory=dict)
    """Held-out metrics (accuracy, f1_macro, roc_auc / r2, rmse, mae)."""
    score: float | None = None
    """The gate's score: held-out accuracy (classifiers) or R2 (regressors)."""
    baseline_score: float | None = None
    """The serving version's score on this candidate's held-out data."""
    data_report: DataReport | None = None
    """What cleaning did."""
    data_fingerprint: str = ""
    """sha256 of the cleaned training data."""
    rows: int = 0
    """Rows used for training and evaluation."""
    artifact_sha256: str = ""
    """sha256 of the model file; the server refuses a file that does not match."""
    started_at: str = ""
    """When the training Job was created."""
    finished_at: str = ""
    """When training finished."""


class MetricObservation(ApiModel):
    """The last reading of the monitored metric."""

    name: str
    """The metric (accuracy, f1, rmse, mae, drift or prometheus)."""
    value: float
    """Its value."""
    samples: int = 0
    """Samples behind it (feedback labels or inputs)."""
    time: str
    """When it was read."""


class MLModelStatus(ApiModel):
    """Observed state, recomputed by the operator; it never writes spec."""

    model_config = ConfigDict(extra="ignore")

    phase: Phase = Phase.PENDING
    """Pending, Training, Serving, RollingOut, Retraining, Degraded or Failed."""
    observed_generation: int | None = None
    """The .metadata.generation this status reflects."""
    conditions: list[Condition] = Field(default_factory=list)
    """Trained, Ready, Degraded and Retraining."""
    serving_version: int | None = None
    """The version the serving Deployment runs."""
    versions: list[ModelVersion] = Field(default_factory=list, max_length=MAX_VERSION_HISTORY)
    """History of training runs, newest last (bounded)."""
    last_metric: MetricObservation | None = None
    """The last production metric reading."""
    retrain_count: int = 0
    """Automatic retrains so far."""
    last_retrain_time: str | None = None
    """When the last automatic retrain started."""
    retrain_times: list[str] = Field(default_factory=list, max_length=1440)
    """Start times of automatic retrains in the last 24 hours (for the daily cap)."""
    replicas: int = 0
    """Ready serving pods (scale subresource)."""
    selector: str = ""
    """Label selector of the serving pods (scale subresource, for HPA)."""


class ObjectMeta(BaseModel):
    """The parts of metadata the operator and CLI read."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(max_length=40, pattern=r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
    namespace: str | None = None
    generation: int | None = None
    uid: str | None = None
    annotations: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)


class MLModel(ApiModel):
    """An MLModel resource as read from a file or the API."""

    model_config = ConfigDict(extra="ignore")
    __cel_rules__ = (
        CelRule(
            rule="size(self.metadata.name) <= 40",
            message="metadata.name must be at most 40 characters: it prefixes the names of the"
            " Jobs, Deployments and Services the operator creates",
        ),
    )

    api_version: Literal["mlops.dev/v1alpha1"] = API_VERSION
    kind: Literal["MLModel"] = KIND
    metadata: ObjectMeta
    spec: MLModelSpec
    status: MLModelStatus | None = None
