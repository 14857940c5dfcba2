# The mlmodel-operator image: the operator (default command), the trainer and the server.
#
#   docker build -t mlmodel-operator:dev .
#   hack/lib/images.sh builds it without a Docker engine: buildah, BASE=<a debootstrap image>.
#
# Layers are ordered by how often they change. The dependency layer depends only on the
# dependency lists extracted from pyproject.toml, so editing operator/ (or pyproject.toml's tool
# settings) rebuilds just the last layers, in seconds.
# Runs as uid 1000 with a read-only root filesystem: nothing writes outside /tmp and volumes.
ARG BASE=python:3.11-slim-bookworm

# The dependency lists, as stable files: the COPY --from below is cached by their content.
FROM ${BASE} AS requirements
COPY pyproject.toml hack/lib/pyproject_requirements.py /src/
RUN python3 /src/pyproject_requirements.py /src/pyproject.toml /requirements controller,runtime

FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    LANG=C.UTF-8 \
    HOME=/tmp \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# A numeric user that exists in /etc/passwd (getpwuid works; HOME is /tmp, the only writable dir).
RUN set -eu; \
    grep -q '^[^:]*:[^:]*:1000:' /etc/passwd \
      || echo 'mlmodel:x:1000:1000:mlmodel-operator:/tmp:/usr/sbin/nologin' >> /etc/passwd; \
    grep -q '^[^:]*:[^:]*:1000:' /etc/group || echo 'mlmodel:x:1000:' >> /etc/group; \
    mkdir -p /app; \
    python3 -m venv /opt/venv

# Dependencies only ([controller,runtime] extras). The build backend stays in the venv so the
# code layer installs with --no-build-isolation, i.e. without the network. The libraries' own
# test suites (~110 MB, mostly pandas/tests) are never imported at run time and are dropped;
# pip's byte-compiled .pyc files stay, as a read-only root filesystem cannot get them later.
COPY --from=requirements /requirements/ /opt/venv/requirements/
RUN set -eu; \
    pip install --upgrade -r /opt/venv/requirements/build.txt; \
    pip install -r /opt/venv/requirements/runtime.txt; \
    find /opt/venv/lib -type d -name tests -path '*/site-packages/*' -prune -exec rm -rf {} +

# The project itself.
COPY pyproject.toml README.md /src/
COPY operator/ /src/operator/
RUN pip install --no-deps --no-build-isolation /src && rm -rf /src \
    && python -c "import mlmodel_operator"

WORKDIR /app
USER 1000:1000
CMD ["python", "-m", "mlmodel_operator.controller"]

ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="mlmodel-operator" \
      org.opencontainers.image.description="Kubernetes operator for scikit-learn models (MLModel, mlops.dev/v1alpha1): operator, trainer and inference server" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
