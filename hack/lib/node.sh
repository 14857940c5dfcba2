# shellcheck shell=bash
# The node: containerd + runc + CNI plugins (Debian), kube-proxy, kubelet and CoreDNS as host
# processes, plus the network safety net. Packets for pod or Service addresses never leave the
# machine: the Service range is routed to a dummy device before anything starts, kube-proxy
# starts before the kubelet (so before any workload), and pods live on a local bridge.

install_node_packages() { "$REPO/hack/install-deps" || die "installing Debian packages failed"; }

# ---- network safety net and host settings (recorded so `down` restores them) ---------------
prepare_host_network() {
  mkdir -p "$STATE"
  if [[ ! -f $STATE/sysctl.orig ]]; then
    sysctl -n net.ipv4.ip_forward vm.overcommit_memory kernel.panic kernel.panic_on_oops \
      | paste -sd' ' > "$STATE/sysctl.orig"
  fi
  # A dummy device is the usual sink; kernels without the dummy driver get a bridge with no
  # ports, which swallows packets just the same.
  if ! ip link show "$SVC_DUMMY_DEV" >/dev/null 2>&1; then
    ip link add "$SVC_DUMMY_DEV" type dummy 2>/dev/null || ip link add "$SVC_DUMMY_DEV" type bridge
    ip link set "$SVC_DUMMY_DEV" up
  fi
  ip route replace "$SERVICE_CIDR" dev "$SVC_DUMMY_DEV"
  modprobe br_netfilter 2>/dev/null || true
  sysctl -qw net.ipv4.ip_forward=1
  [[ -f /proc/sys/net/bridge/bridge-nf-call-iptables ]] && sysctl -qw net.bridge.bridge-nf-call-iptables=1
}

restore_host_network() {
  ip link del "$SVC_DUMMY_DEV" 2>/dev/null || true
  ip link del "$CNI_BRIDGE" 2>/dev/null || true
  if [[ -f $STATE/sysctl.orig ]]; then
    read -r fwd overcommit panic oops < "$STATE/sysctl.orig"
    sysctl -qw net.ipv4.ip_forward="$fwd" vm.overcommit_memory="$overcommit" \
      kernel.panic="$panic" kernel.panic_on_oops="$oops" || true
  fi
}

# ---- containerd ----------------------------------------------------------------------------
start_containerd() {
  mkdir -p "$CONF" "$STATE/containerd" "$RUN_DIR/containerd" "$STATE/cni/net.d"
  cat > "$CONF/containerd.toml" <<TOML
version = 2
root = "$STATE/containerd"
state = "$RUN_DIR/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/pause:local"
  stream_server_address = "127.0.0.1"
  disable_hugetlb_controller = true
  tolerate_missing_hugetlb_controller = true
  # Our sandbox lacks CAP_SYS_RESOURCE, so runc cannot lower oom_score_adj below containerd's
  # own (the pause container asks for -998 and fails with "can't get final child's PID").
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
TOML
  start_process containerd containerd --config "$CONF/containerd.toml"
  wait_until containerd 60 "containerd socket" ctr --address "$CONTAINERD_SOCK" version
}

ctr_k8s() { ctr --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }

import_image_archive() { # archive image-name
  ctr_k8s images ls -q | grep -qx "$2" && return
  log "importing $2 into containerd (k8s.io namespace)"
  ctr_k8s images import --no-unpack "$1" >/dev/null || die "ctr import of $1 failed"
}

# ---- CNI: a bridge for pods, masquerading only what leaves the pod range ------------------
write_cni_config() {
  mkdir -p "$STATE/cni/net.d" "$STATE/cni/networks"
  cat > "$STATE/cni/net.d/10-mlmodel-bridge.conflist" <<JSON
{"cniVersion": "1.0.0", "name": "$CNI_NETWORK", "plugins": [
  {"type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$STATE/cni/networks",
            "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}
]}
JSON
}

# ---- kube-proxy: iptables mode, started before the kubelet so Services work before pods ---
start_kube_proxy() {
  cat > "$CONF/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $CONF/kube-proxy.kubeconfig}
mode: ${KUBE_PROXY_MODE:-iptables}
clusterCIDR: $POD_CIDR
hostnameOverride: $NODE_NAME
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["127.0.0.0/8"]
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
YAML
  start_process kube-proxy "$K8S_BIN/kube-proxy" --config="$CONF/kube-proxy.yaml" --v=1
  wait_until kube-proxy 60 "kube-proxy /healthz" curl -fsS http://127.0.0.1:10256/healthz
}

# ---- kubelet ------------------------------------------------------------------------------
start_kubelet() {
  local ip; ip=$(node_ip)
  mkdir -p "$STATE/kubelet"
  cat > "$CONF/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
address: $ip
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: $PKI/ca.crt}}
authorization: {mode: Webhook}
tlsCertFile: $PKI/kubelet.crt
tlsPrivateKeyFile: $PKI/kubelet.key
clusterDomain: cluster.local
clusterDNS: ["$ip"]
resolvConf: /etc/resolv.conf
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
maxPods: 60
serializeImagePulls: false
YAML
  start_process kubelet "$K8S_BIN/kubelet" --config="$CONF/kubelet.yaml" \
    --kubeconfig="$CONF/kubelet.kubeconfig" --hostname-override=$NODE_NAME --node-ip="$ip" \
    --root-dir="$STATE/kubelet" --v=1
  wait_until kubelet 120 "node $NODE_NAME Ready" \
    bash -c "'$K8S_BIN/kubectl' --kubeconfig '$ADMIN_KUBECONFIG' get node $NODE_NAME -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"
}

# ---- cluster DNS: CoreDNS as a host process on the node address --------------------------
start_coredns() {
  local ip; ip=$(node_ip)
  cat > "$CONF/Corefile" <<COREFILE
.:53 {
    bind $ip
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $CONF/coredns.kubeconfig mlmodel-local
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 5
    ready 127.0.0.1:8181
}
COREFILE
  kubectl_admin apply -f - >/dev/null <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- {apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: coredns}]
YAML
  start_process coredns "$COREDNS_BIN/coredns" -conf "$CONF/Corefile"
  wait_until coredns 60 "CoreDNS ready" curl -fsS http://127.0.0.1:8181/ready
}

# ---- storage: the controller manager's hostPath provisioner as the default class ---------
install_storage_class() {
  kubectl_admin apply -f - >/dev/null <<YAML
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
YAML
}

# ---- teardown -----------------------------------------------------------------------------
remove_workloads() {
  # Containers and sandboxes that our containerd runs (kubelet is already stopped).
  if [[ -S $CONTAINERD_SOCK ]] && pid_alive containerd; then
    local id
    for id in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks kill -s KILL "$id" >/dev/null 2>&1 || true; done
    sleep 1
    for id in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks rm -f "$id" >/dev/null 2>&1 || true; done
    for id in $(ctr_k8s containers ls -q 2>/dev/null); do ctr_k8s containers rm "$id" >/dev/null 2>&1 || true; done
  fi
}

remove_kube_proxy_rules() {
  [[ -x $K8S_BIN/kube-proxy ]] && "$K8S_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  # CNI's masquerade chains (CNI-*) and any KUBE-* leftovers, in both tables we touched.
  local table chain
  for table in nat filter mangle; do
    for chain in $(iptables -t "$table" -S 2>/dev/null | awk '$1 == "-N" && ($2 ~ /^CNI-/ || $2 ~ /^KUBE-/) {print $2}'); do
      iptables -t "$table" -S 2>/dev/null | awk -v c="$chain" '$1 == "-A" && $0 ~ "-j " c "( |$)" {sub(/^-A/, "-D"); print}' \
        | while read -r rule; do eval "iptables -t $table $rule" 2>/dev/null || true; done
    done
    for chain in $(iptables -t "$table" -S 2>/dev/null | awk '$1 == "-N" && ($2 ~ /^CNI-/ || $2 ~ /^KUBE-/) {print $2}'); do
      iptables -t "$table" -F "$chain" 2>/dev/null || true
    done
    for chain in $(iptables -t "$table" -S 2>/dev/null | awk '$1 == "-N" && ($2 ~ /^CNI-/ || $2 ~ /^KUBE-/) {print $2}'); do
      iptables -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
}

unmount_state() {
  local m
  for m in $(findmnt -rn -o TARGET | grep -E "^($STATE|$RUN_DIR)(/|$)" | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  # Network namespaces containerd created for our pods.
  for m in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do ip netns del "$m" 2>/dev/null || true; done
}

remove_pod_cgroups() {
  local hierarchy
  for hierarchy in /sys/fs/cgroup/*/kubepods; do
    [[ -d $hierarchy ]] && find "$hierarchy" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}
