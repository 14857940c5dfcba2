# shellcheck shell=bash
# Shared settings and helpers for hack/cluster: paths, versions, logging, process bookkeeping.
# Sourced, never executed. Everything the tool creates lives under $STATE (removed by `down`)
# or $CACHE (build outputs keyed by version, kept across runs).

REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CACHE=${MLMODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mlmodel-operator}
STATE=${MLMODEL_CLUSTER_STATE:-/var/lib/mlmodel-cluster}
RUN_DIR=${MLMODEL_CLUSTER_RUN:-/run/mlmodel-cluster}

# Versions come from the committed wrapper modules, so there is one place to bump them.
gomod_version() { awk -v m="$2" '$1 == "require" && $2 == m {print $3} $1 == m {print $2}' "$REPO/hack/gomod/$1/go.mod" | head -n1; }
K8S_VERSION=$(gomod_version kubernetes k8s.io/kubernetes)
ETCD_VERSION=$(gomod_version etcd go.etcd.io/etcd/server/v3)
COREDNS_VERSION=$(gomod_version coredns github.com/coredns/coredns)
K8S_BIN=$CACHE/kubernetes-$K8S_VERSION
ETCD_BIN=$CACHE/etcd-$ETCD_VERSION
COREDNS_BIN=$CACHE/coredns-$COREDNS_VERSION

# Network plan: everything stays on this machine. Pods live on the cni0 bridge, Services are
# routed to a dummy device until kube-proxy's rules catch them, DNS answers on the node address.
NODE_NAME=mlmodel-node
POD_CIDR=10.88.0.0/16
SERVICE_CIDR=10.96.0.0/24
KUBERNETES_SVC_IP=10.96.0.1
SVC_DUMMY_DEV=mlm-svc0
CNI_BRIDGE=mlm-cni0
CNI_NETWORK=mlmodel-pods
API_PORT=6443
RUNTIME_UID=1000          # the project image's user (see start_controller_manager)
HOSTPATH_PV_DIR=/tmp/hostpath_pv  # where the hostPath provisioner creates volumes

PKI=$STATE/pki
LOGS=$STATE/logs
PIDS=$STATE/pids
CONF=$STATE/conf
ADMIN_KUBECONFIG=$STATE/admin.kubeconfig
CONTAINERD_SOCK=$RUN_DIR/containerd/containerd.sock

log()  { printf '\033[1m[cluster]\033[0m %s\n' "$*" >&2; }
die()  { printf '\033[31m[cluster] error:\033[0m %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(( SECONDS - ${1:-0} ))s"; }

# The node's own address: the source address of the default route (no packet is sent).
node_ip() {
  local ip
  ip=$(ip -4 route get 1.1.1.1 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") {print $(i + 1); exit}}')
  [[ -n $ip ]] || ip=$(hostname -I 2>/dev/null | awk '{print $1}')
  [[ -n $ip ]] || die "cannot find this machine's own IPv4 address"
  echo "$ip"
}

kubectl_admin() { "$K8S_BIN/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

# ---- processes: started detached, remembered by PID, stopped by PID (never by name) ----------
start_process() { # name command...
  local name=$1; shift
  mkdir -p "$LOGS" "$PIDS"
  if pid_alive "$name"; then log "$name already running (pid $(cat "$PIDS/$name.pid"))"; return 0; fi
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
}

pid_alive() { [[ -f $PIDS/$1.pid ]] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

stop_process() { # name [grace seconds]
  local name=$1 grace=${2:-10} pid
  [[ -f $PIDS/$name.pid ]] || return 0
  pid=$(cat "$PIDS/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq $(( grace * 5 ))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDS/$name.pid"
}

# Wait until `check` succeeds; on timeout or if the component died, show its log tail and fail.
wait_until() { # name timeout_seconds description check...
  local name=$1 timeout=$2 what=$3; shift 3
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if [[ -n $name ]] && ! pid_alive "$name"; then
      log "$name exited while waiting for $what; last lines of $LOGS/$name.log:"
      tail -n 25 "$LOGS/$name.log" >&2 || true
      exit 1
    fi
    if (( SECONDS - start > timeout )); then
      log "timed out after ${timeout}s waiting for $what"
      [[ -n $name ]] && { log "last lines of $LOGS/$name.log:"; tail -n 25 "$LOGS/$name.log" >&2 || true; }
      exit 1
    fi
    sleep 0.5
  done
}
