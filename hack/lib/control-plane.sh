# shellcheck shell=bash
# The control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, as host
# processes bound to loopback or the node's own address.

start_etcd() {
  start_process etcd "$ETCD_BIN/etcd" --name default --data-dir "$STATE/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster default=http://127.0.0.1:2380 --unsafe-no-fsync --log-level warn
  wait_until etcd 60 "etcd health" curl -fsS http://127.0.0.1:2379/health
}

start_apiserver() {
  local ip; ip=$(node_ip)
  start_process kube-apiserver "$K8S_BIN/kube-apiserver" \
    --etcd-servers=http://127.0.0.1:2379 \
    --bind-address="$ip" --advertise-address="$ip" --secure-port=$API_PORT \
    --service-cluster-ip-range=$SERVICE_CIDR \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP,Hostname \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true --profiling=false --event-ttl=2h --v=1
  wait_until kube-apiserver 120 "kube-apiserver /readyz" \
    curl -fsS --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "https://$ip:$API_PORT/readyz"
  # Lets the API server reach kubelets for logs, exec and port-forward (as local-up-cluster does).
  kubectl_admin create clusterrolebinding kube-apiserver-kubelet-admin \
    --clusterrole=system:kubelet-api-admin --user=kube-apiserver --dry-run=client -o yaml | kubectl_admin apply -f - >/dev/null
}

# The hostPath provisioner creates each volume directory 0750, owned by the provisioner's own
# user, and kubelets do not apply fsGroup to hostPath volumes. Running the controller manager as
# the runtime image's user (uid 1000) makes claims writable for our non-root pods, as fsGroup
# would on real storage. It needs root for nothing else.
start_controller_manager() {
  local kc=$CONF/controller-manager.kubeconfig f
  for f in "$kc" "$PKI/sa.key" "$PKI/ca.key" "$PKI/ca.crt"; do chown "$RUNTIME_UID" "$f"; done
  start_process kube-controller-manager setpriv --reuid="$RUNTIME_UID" --regid="$RUNTIME_UID" --clear-groups \
    "$K8S_BIN/kube-controller-manager" \
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --bind-address=127.0.0.1 \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --use-service-account-credentials=true --controllers='*' \
    --service-cluster-ip-range=$SERVICE_CIDR \
    --enable-hostpath-provisioner=true --pvclaimbinder-sync-period=2s \
    --leader-elect=false --v=1
  wait_until kube-controller-manager 60 "kube-controller-manager /healthz" curl -fsSk https://127.0.0.1:10257/healthz
}

start_scheduler() {
  mkdir -p "$CONF"
  cat > "$CONF/scheduler.yaml" <<YAML
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection: {kubeconfig: $CONF/scheduler.kubeconfig}
leaderElection: {leaderElect: false}
YAML
  local kc=$CONF/scheduler.kubeconfig
  start_process kube-scheduler "$K8S_BIN/kube-scheduler" --config="$CONF/scheduler.yaml" \
    --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" --bind-address=127.0.0.1 --v=1
  wait_until kube-scheduler 60 "kube-scheduler /healthz" curl -fsSk https://127.0.0.1:10259/healthz
}

start_control_plane() {
  start_etcd
  start_apiserver
  start_controller_manager
  start_scheduler
}
