# shellcheck shell=bash
# Builds the pinned upstream components from their Go modules (hack/gomod/*: go.mod + go.sum,
# no Go code of ours) into $CACHE/<component>-<version>/. A finished build is never repeated:
# the directory only appears (by rename) once every binary in it linked.

K8S_COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

go_env() {
  command -v go >/dev/null || die "the Go toolchain is needed to build Kubernetes (go not on PATH)"
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly"
}

build_kubernetes() {
  local bin
  for bin in "${K8S_COMPONENTS[@]}"; do [[ -x $K8S_BIN/$bin ]] || { _build_kubernetes; return; }; done
}

_build_kubernetes() {
  go_env
  local start=$SECONDS minor date ldflags="-s -w" pkg pkgs=()
  minor=$(cut -d. -f2 <<<"$K8S_VERSION")
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  for bin in "${K8S_COMPONENTS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$bin"); done
  log "building Kubernetes $K8S_VERSION (${K8S_COMPONENTS[*]}) from Go modules; cold takes minutes"
  rm -rf "$K8S_BIN.tmp" && mkdir -p "$K8S_BIN.tmp"
  (cd "$REPO/hack/gomod/kubernetes" && go build -trimpath -p "$(nproc)" -ldflags "$ldflags" -o "$K8S_BIN.tmp/" "${pkgs[@]}") \
    || die "go build of Kubernetes $K8S_VERSION failed (see the errors above)"
  rm -rf "$K8S_BIN" && mv "$K8S_BIN.tmp" "$K8S_BIN"
  log "built Kubernetes $K8S_VERSION in $(elapsed $start): $("$K8S_BIN/kube-apiserver" --version)"
}

build_etcd() {
  [[ -x $ETCD_BIN/etcd ]] && return
  go_env
  local start=$SECONDS
  log "building etcd $ETCD_VERSION from Go modules"
  rm -rf "$ETCD_BIN.tmp" && mkdir -p "$ETCD_BIN.tmp"
  (cd "$REPO/hack/gomod/etcd" && go build -trimpath -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$ETCD_VERSION" \
    -o "$ETCD_BIN.tmp/etcd" go.etcd.io/etcd/server/v3) || die "go build of etcd $ETCD_VERSION failed"
  rm -rf "$ETCD_BIN" && mv "$ETCD_BIN.tmp" "$ETCD_BIN"
  log "built etcd $ETCD_VERSION in $(elapsed $start)"
}

build_coredns() {
  [[ -x $COREDNS_BIN/coredns ]] && return
  go_env
  local start=$SECONDS
  log "building CoreDNS $COREDNS_VERSION from Go modules"
  rm -rf "$COREDNS_BIN.tmp" && mkdir -p "$COREDNS_BIN.tmp"
  (cd "$REPO/hack/gomod/coredns" && go build -trimpath -ldflags "-s -w" -o "$COREDNS_BIN.tmp/coredns" github.com/coredns/coredns) \
    || die "go build of CoreDNS $COREDNS_VERSION failed"
  rm -rf "$COREDNS_BIN" && mv "$COREDNS_BIN.tmp" "$COREDNS_BIN"
  log "built CoreDNS $COREDNS_VERSION in $(elapsed $start)"
}

build_all() { build_etcd; build_kubernetes; build_coredns; }
