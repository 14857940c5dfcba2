# shellcheck shell=bash
# Builds the pinned upstream components from their Go modules (hack/gomod/*: go.mod + go.sum,
# no Go code of ours) into $CACHE/<component>-<version>/. A finished build is never repeated:
# the directory only appears (by rename) once every binary in it linked.

K8S_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

go_env() {
  command -v go >/dev/null || die "the Go toolchain is needed to build Kubernetes (go not on PATH)"
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly"
}

# Builds into DIR.tmp, then renames it to DIR: a finished directory means every binary linked.
_build_into() { # dir gomod-subdir label go-build-args...
  local dir=$1 mod=$2 label=$3 start=$SECONDS
  shift 3
  go_env
  log "building $label from Go modules"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  (cd "$REPO/hack/gomod/$mod" && go build -trimpath "$@") || die "go build of $label failed (see the errors above)"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  log "built $label in $(elapsed "$start")"
}

build_kubernetes() {
  local bin
  for bin in "${K8S_COMPONENTS[@]}"; do [[ -x $K8S_BIN/$bin ]] || { _build_kubernetes; return; }; done
}

_build_kubernetes() {
  local minor date ldflags="-s -w" pkg pkgs=()
  minor=$(cut -d. -f2 <<<"$K8S_VERSION")
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  for bin in "${K8S_COMPONENTS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$bin"); done
  _build_into "$K8S_BIN" kubernetes "Kubernetes $K8S_VERSION (${K8S_COMPONENTS[*]}; cold takes minutes)" \
    -p "$(nproc)" -ldflags "$ldflags" -o "$K8S_BIN.tmp/" "${pkgs[@]}"
}

build_etcd() {
  [[ -x $ETCD_BIN/etcd ]] && return
  _build_into "$ETCD_BIN" etcd "etcd $ETCD_VERSION" \
    -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" -o "$ETCD_BIN.tmp/etcd" go.etcd.io/etcd/server/v3
}

build_coredns() {
  [[ -x $COREDNS_BIN/coredns ]] && return
  _build_into "$COREDNS_BIN" coredns "CoreDNS $COREDNS_VERSION" \
    -ldflags "-s -w" -o "$COREDNS_BIN.tmp/coredns" github.com/coredns/coredns
}

build_all() { build_etcd; build_kubernetes; build_coredns; }
