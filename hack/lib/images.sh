# shellcheck shell=bash
# Container images for the local cluster, built with no Docker engine and no registry.
#
# Source this file and call the functions; sourcing defines functions only (no variables, no
# traps, no `set` changes). Every builder runs in a fresh `bash -euo pipefail`, so errors abort
# the build even when the caller uses `if images::build_base; then ...` (where bash would
# otherwise ignore -e), and nothing leaks into the caller's shell.
#
# stdout is reserved for results (image names, archive paths); progress goes to stderr, so
# `image=$(images::build_base)` works.
#
#   images::build_base             -> localhost/mlmodel-base:bookworm-<key>
#   images::build_pause            -> <cache>/images/pause_local.tar localhost/pause:local
#   images::build_project [TAG]    -> <cache>/images/mlmodel-operator_<tag>.tar localhost/mlmodel-operator:<tag>
#   images::project_tag            -> src-<hash of the build inputs>
#   images::project_image [TAG]    -> localhost/mlmodel-operator:<tag>   (the name for pod specs)
#   images::pause_image            -> localhost/pause:local              (containerd's sandbox_image)
#   images::archive_path IMAGE     -> <cache>/images/<name>_<tag>.tar
#
# Environment (all optional):
#   MLMODEL_CACHE             cache root (default $HOME/.cache/mlmodel-operator); images go to <cache>/images
#   MLMODEL_REPO              repo root (default: two levels above this file)
#   MLMODEL_DEBIAN_SUITE      debootstrap suite (default bookworm)
#   MLMODEL_DEBIAN_MIRROR     mirror URL (default: first URIs: of /etc/apt/sources.list.d/debian.sources)
#   MLMODEL_BUILDAH_DRIVER    buildah storage driver (default overlay; vfs works too but is slow and big)
#   MLMODEL_BUILD_CA_BUNDLE   CA bundle pip uses inside RUN steps (default $PIP_CERT or the host's
#                             /etc/ssl/certs/ca-certificates.crt; mounted at build time only)
#
# Images are kept in buildah's local storage (/var/lib/containers/storage) and as docker-archives,
# whose RepoTags carry the fully qualified localhost/... name that the CRI looks up after
# `ctr -n k8s.io images import`.

# --- names (pure; safe to call in any context) -----------------------------------------------

images::cache_dir() {
  printf '%s\n' "${MLMODEL_CACHE:-${HOME:-/root}/.cache/mlmodel-operator}/images"
}

# Debian packages of the base image. Part of the base image's cache key.
images::base_packages() {
  printf '%s\n' python3 python3-venv ca-certificates
}

images::pause_image() {
  printf '%s\n' "localhost/pause:local"
}

# The fully qualified name pod specs must use (with imagePullPolicy: Never or IfNotPresent).
images::project_image() {
  local tag="${1:-}"
  if [[ -z "$tag" ]]; then
    tag="$(images::project_tag)" || return 1
  fi
  if [[ "$tag" == "latest" || ! "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
    echo "images: invalid image tag '${tag}' (need [A-Za-z0-9_.-], max 128 chars, not 'latest')" >&2
    return 1
  fi
  printf '%s\n' "localhost/mlmodel-operator:${tag}"
}

# docker-archive path for IMAGE (localhost/name:tag -> <cache>/images/name_tag.tar).
images::archive_path() {
  local image="${1:?usage: images::archive_path IMAGE}" ref
  ref="${image#localhost/}"
  ref="${ref//\//_}"
  printf '%s/%s.tar\n' "$(images::cache_dir)" "${ref/:/_}"
}

# This file's absolute path, fixed when sourced (BASH_SOURCE may be relative to a cwd that the
# caller changes later). A function rather than a variable: sourcing defines functions only.
eval "images::_self() { printf '%s\\n' $(printf '%q' "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"); }"

images::_repo() {
  if [[ -n "${MLMODEL_REPO:-}" ]]; then
    printf '%s\n' "$MLMODEL_REPO"
  else
    (cd "$(dirname "$(images::_self)")/../.." && pwd)
  fi
}

# Content hash of everything that goes into the project image: the Dockerfile, .dockerignore,
# pyproject.toml, README.md, operator/ and hack/lib/pyproject_requirements.py as they are in the
# work tree (tracked plus untracked, not ignored), and the base image name.
# Same inputs -> same tag -> the build is skipped.
images::project_tag() {
  local repo base
  repo="$(images::_repo)" || return 1
  base="$(images::base_image_name)" || return 1
  (
    set -euo pipefail
    cd "$repo"
    {
      printf 'base %s\n' "$base"
      {
        if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
          git ls-files -z --cached --others --exclude-standard -- \
            Dockerfile .dockerignore pyproject.toml README.md operator hack/lib/pyproject_requirements.py
        else # e.g. an unpacked source tarball
          find Dockerfile .dockerignore pyproject.toml README.md operator hack/lib/pyproject_requirements.py -type f -print0 2>/dev/null
        fi
      } | sort -z | while IFS= read -r -d '' f; do
          # Deleted-but-tracked files are not in the build context.
          [[ -f "$f" ]] || continue
          [[ "$f" == *__pycache__* || "$f" == *.egg-info/* ]] && continue
          printf '%s %s\n' "$(sha256sum <"$f" | cut -c1-64)" "$f"
        done
    } | sha256sum | cut -c1-12 | sed 's/^/src-/'
  )
}

images::_base_key() {
  local suite="${MLMODEL_DEBIAN_SUITE:-bookworm}"
  # Bump the recipe number when the build steps below change the result.
  { echo "recipe 1"; echo "suite $suite"; images::base_packages | sort; } | sha256sum | cut -c1-12
}

images::base_image_name() {
  printf 'localhost/mlmodel-base:%s-%s\n' "${MLMODEL_DEBIAN_SUITE:-bookworm}" "$(images::_base_key)"
}

# --- builders (each runs in a fresh bash with errexit) ---------------------------------------

images::build_base() { images::_isolated images::_build_base "$@"; }
images::build_pause() { images::_isolated images::_build_pause "$@"; }
images::build_project() { images::_isolated images::_build_project "$@"; }

# shellcheck disable=SC2016 # the inner script expands its own arguments
images::_isolated() {
  local fn="$1"
  shift
  env \
    MLMODEL_CACHE="${MLMODEL_CACHE:-}" \
    MLMODEL_REPO="${MLMODEL_REPO:-}" \
    MLMODEL_DEBIAN_SUITE="${MLMODEL_DEBIAN_SUITE:-}" \
    MLMODEL_DEBIAN_MIRROR="${MLMODEL_DEBIAN_MIRROR:-}" \
    MLMODEL_BUILDAH_DRIVER="${MLMODEL_BUILDAH_DRIVER:-}" \
    MLMODEL_BUILD_CA_BUNDLE="${MLMODEL_BUILD_CA_BUNDLE:-}" \
    BUILDAH_ISOLATION=chroot \
    bash -euo pipefail -c '
      [[ -n "$MLMODEL_CACHE" ]] || unset MLMODEL_CACHE
      source "$1"; fn="$2"; shift 2; "$fn" "$@"' \
    _ "$(images::_self)" "$fn" "$@"
}

images::_log() { printf '[images] %s\n' "$*" >&2; }

images::_buildah() {
  buildah --storage-driver "${MLMODEL_BUILDAH_DRIVER:-overlay}" "$@"
}

images::_require() {
  local cmd
  for cmd in "$@"; do
    if ! command -v "$cmd" >/dev/null 2>&1; then
      echo "images: '$cmd' is not installed (apt-get install buildah skopeo debootstrap golang-go?)" >&2
      return 1
    fi
  done
}

images::_have_image() {
  images::_buildah inspect --type image --format '{{.FromImageID}}' "$1" >/dev/null 2>&1
}

# Write IMAGE to its docker-archive (atomically: a half-written archive must never be imported).
images::_save_archive() {
  local image="$1" archive tmp
  archive="$(images::archive_path "$image")"
  mkdir -p "$(dirname "$archive")"
  tmp="${archive}.tmp.$$"
  rm -f "$tmp"
  images::_buildah push --quiet "$image" "docker-archive:${tmp}:${image}" >&2
  mv -f "$tmp" "$archive"
  printf '%s\n' "$archive"
}

# Make sure IMAGE is both in buildah storage and in its archive; rebuilding neither if possible.
images::_ensure_archive() {
  local image="$1" archive
  archive="$(images::archive_path "$image")"
  if [[ ! -s "$archive" ]]; then
    images::_save_archive "$image" >/dev/null
  fi
  printf '%s\n' "$archive"
}

images::_debian_mirror() {
  if [[ -n "${MLMODEL_DEBIAN_MIRROR:-}" ]]; then
    printf '%s\n' "$MLMODEL_DEBIAN_MIRROR"
    return
  fi
  local f url=""
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    url="$(awk '/^URIs:/ {print $2; exit}' "$f")"
    [[ -n "$url" ]] && break
  done
  if [[ -z "$url" && -f /etc/apt/sources.list ]]; then
    url="$(awk '/^deb / && $2 ~ /^http/ {print $2; exit}' /etc/apt/sources.list)"
  fi
  printf '%s\n' "${url:-http://deb.debian.org/debian}"
}

images::_build_base() (
  images::_require buildah debootstrap tar
  local image archive suite mirror work rootfs c packages
  image="$(images::base_image_name)"
  archive="$(images::archive_path "$image")"
  suite="${MLMODEL_DEBIAN_SUITE:-bookworm}"

  if images::_have_image "$image"; then
    images::_ensure_archive "$image" >/dev/null
    images::_log "base image cached: $image"
    printf '%s\n' "$image"
    return
  fi
  if [[ -s "$archive" ]]; then
    images::_log "loading base image from $archive"
    images::_buildah pull --quiet "docker-archive:${archive}" >/dev/null || true
    if images::_have_image "$image"; then
      printf '%s\n' "$image"
      return
    fi
  fi

  mirror="$(images::_debian_mirror)"
  packages="$(images::base_packages | paste -sd, -)"
  mkdir -p "$(images::cache_dir)"
  work="$(mktemp -d "$(images::cache_dir)/base-build.XXXXXX")"
  c=""
  # shellcheck disable=SC2064
  trap "rm -rf '$work'; [[ -z \"\${c:-}\" ]] || images::_buildah rm \"\$c\" >/dev/null 2>&1 || true" EXIT
  rootfs="$work/rootfs"

  images::_log "debootstrap --variant=minbase $suite (+ $packages) from $mirror"
  debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    grep -h -A3 -i error "$rootfs/debootstrap/debootstrap.log" 2>/dev/null | tail -n 20 >&2 || true
    echo "images: debootstrap failed (log above)" >&2
    return 1
  }

  images::_log "trimming rootfs"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/var/cache/ldconfig/aux-cache "$rootfs"/var/log/* "$rootfs"/usr/share/man/* \
    "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* "$rootfs"/etc/hostname \
    "$rootfs"/etc/resolv.conf "$rootfs"/debootstrap
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  # The runtime provides these; an image must not carry device nodes or stale mounts.
  find "$rootfs/dev" "$rootfs/proc" "$rootfs/sys" "$rootfs/run" -mindepth 1 -delete 2>/dev/null || true
  tar --numeric-owner --xattrs -C "$rootfs" -cf "$work/rootfs.tar" .

  images::_log "assembling $image"
  c="$(images::_buildah from --quiet scratch)"
  images::_buildah add --quiet "$c" "$work/rootfs.tar" / >/dev/null
  images::_buildah config \
    --os linux --arch "$(dpkg --print-architecture)" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 \
    --cmd '["python3"]' \
    --label org.opencontainers.image.title=mlmodel-base \
    --label "org.opencontainers.image.description=Debian ${suite} minbase with python3 and python3-venv, built offline by hack/lib/images.sh" \
    --label "org.opencontainers.image.version=${suite}-$(images::_base_key)" \
    --label org.opencontainers.image.licenses="various (Debian packages)" \
    "$c"
  images::_buildah commit --quiet --rm "$c" "$image" >/dev/null
  c=""
  images::_save_archive "$image" >/dev/null
  images::_log "base image built: $image ($(du -h "$archive" | cut -f1) archive)"
  printf '%s\n' "$image"
)

# Identifies a pause image build: the binary plus the image recipe (bump "recipe" on config changes).
images::_pause_stamp() {
  { echo "recipe 2"; sha256sum <"$1"; } | sha256sum | cut -c1-64
}

images::_build_pause() (
  images::_require buildah go
  local image archive src work c
  image="$(images::pause_image)"
  src="$(images::_repo)/hack/pause"
  mkdir -p "$(images::cache_dir)"
  work="$(mktemp -d "$(images::cache_dir)/pause-build.XXXXXX")"
  c=""
  # shellcheck disable=SC2064
  trap "rm -rf '$work'; [[ -z \"\${c:-}\" ]] || images::_buildah rm \"\$c\" >/dev/null 2>&1 || true" EXIT

  images::_log "go build $src"
  (cd "$src" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod go build -trimpath -buildvcs=false -ldflags '-s -w' -o "$work/pause" .)

  # Rebuild the image only when the binary changed (the archive stays importable as is).
  archive="$(images::archive_path "$image")"
  if images::_have_image "$image" && [[ -s "$archive" ]]; then
    local old
    old="$(images::_buildah inspect --type image --format '{{index .ImageAnnotations "dev.mlops.pause.sha256"}}' "$image" 2>/dev/null || true)"
    if [[ "$old" == "$(images::_pause_stamp "$work/pause")" ]]; then
      images::_log "pause image up to date: $image"
      printf '%s %s\n' "$archive" "$image"
      return
    fi
  fi

  local previous
  previous="$(images::_buildah images --quiet --no-trunc "$image" 2>/dev/null | head -n1 || true)"
  c="$(images::_buildah from --quiet scratch)"
  images::_buildah copy --quiet --chmod 0755 "$c" "$work/pause" /pause >/dev/null
  images::_buildah config \
    --os linux --arch "$(go env GOARCH)" \
    --entrypoint '["/pause"]' --cmd '' \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --user 65535:65535 \
    --annotation "dev.mlops.pause.sha256=$(images::_pause_stamp "$work/pause")" \
    --label org.opencontainers.image.title=pause \
    --label "org.opencontainers.image.description=Pod sandbox process for the local cluster: blocks until SIGINT/SIGTERM, reaps zombies" \
    --label org.opencontainers.image.licenses=Apache-2.0 \
    "$c"
  images::_buildah commit --quiet --rm "$c" "$image" >/dev/null
  c=""
  archive="$(images::_save_archive "$image")"
  # The replaced image is now nameless; drop it unless something still uses it.
  [[ -z "$previous" ]] || images::_buildah rmi "$previous" >/dev/null 2>&1 || true
  images::_log "pause image built: $image ($(du -h "$archive" | cut -f1) archive)"
  printf '%s %s\n' "$archive" "$image"
)

images::_build_project() (
  images::_require buildah git
  local tag="${1:-}" repo base image archive revision
  repo="$(images::_repo)"
  if [[ -z "$tag" ]]; then
    tag="$(images::project_tag)"
  fi
  image="$(images::project_image "$tag")"
  archive="$(images::archive_path "$image")"
  # A content tag names exactly one build input, so an existing image is the right one.
  if [[ -z "${1:-}" ]] && images::_have_image "$image"; then
    images::_ensure_archive "$image" >/dev/null
    images::_log "project image up to date: $image"
    printf '%s %s\n' "$archive" "$image"
    return
  fi

  base="$(images::_build_base)"
  revision="$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
  # pip in RUN steps must trust what the host trusts (here, egress goes through a TLS proxy
  # whose CA only the host bundle has). Bind-mounted for RUN steps only: not in the image.
  local -a ca_volume=()
  local ca="${MLMODEL_BUILD_CA_BUNDLE:-${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}}"
  if [[ -s "$ca" ]]; then
    ca_volume=(--volume "$(readlink -f "$ca"):/etc/ssl/certs/ca-certificates.crt:ro")
  fi
  images::_log "buildah bud $image (BASE=$base)"
  images::_buildah bud \
    --layers \
    --force-rm \
    --isolation chroot \
    --network host \
    "${ca_volume[@]}" \
    --cgroup-manager cgroupfs \
    --pull=never \
    --format docker \
    --build-arg "BASE=${base}" \
    --build-arg "REVISION=${revision}" \
    --build-arg "VERSION=${tag}" \
    --file "$repo/Dockerfile" \
    --tag "$image" \
    "$repo" >&2
  archive="$(images::_save_archive "$image")"
  images::_prune_archives "$archive"
  images::_log "project image built: $image ($(du -h "$archive" | cut -f1) archive)"
  printf '%s %s\n' "$archive" "$image"
)

# Keep the 3 newest project archives (each is ~550 MB) and their images; older ones go from
# both the cache and buildah storage (the shared dependency layers stay).
images::_prune_archives() {
  local keep="$1" old tag
  find "$(dirname "$keep")" -maxdepth 1 -name 'mlmodel-operator_*.tar' -printf '%T@ %p\n' \
    | sort -rn | tail -n +4 | cut -d' ' -f2- | while IFS= read -r old; do
      [[ "$old" != "$keep" ]] || continue
      rm -f -- "$old"
      tag="$(basename "$old" .tar)"
      tag="${tag#mlmodel-operator_}"
      images::_buildah rmi "localhost/mlmodel-operator:${tag}" >/dev/null 2>&1 || true
    done
}
