# shellcheck shell=bash
# Certificates (openssl) and kubeconfigs for every identity in the cluster. Generated once per
# cluster into $PKI; `down` removes them with the rest of the state.

_sign() { # file CN O SANs(optional: then it is a serving+client cert)
  local f=$1 cn=$2 org=$3 sans=${4:-} subj="/CN=$2"
  [[ -n $org ]] && subj+="/O=$org"
  openssl req -newkey rsa:2048 -nodes -keyout "$PKI/$f.key" -out "$PKI/$f.csr" -subj "$subj" 2>/dev/null
  if [[ -n $sans ]]; then
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' "$sans" > "$PKI/$f.ext"
  else
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' > "$PKI/$f.ext"
  fi
  openssl x509 -req -in "$PKI/$f.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -out "$PKI/$f.crt" -days 365 -extfile "$PKI/$f.ext" 2>/dev/null
  rm -f "$PKI/$f.csr" "$PKI/$f.ext"
}

_kubeconfig() { # file user cert-basename
  local file=$1 user=$2 cert=$3 ip
  ip=$(node_ip)
  cat > "$file" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: mlmodel-local
  cluster:
    server: https://$ip:$API_PORT
    certificate-authority-data: $(base64 -w0 < "$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 < "$PKI/$cert.crt")
    client-key-data: $(base64 -w0 < "$PKI/$cert.key")
contexts:
- name: mlmodel-local
  context: {cluster: mlmodel-local, user: $user}
current-context: mlmodel-local
KUBECONFIG
  chmod 600 "$file"
}

generate_pki() {
  [[ -f $PKI/done ]] && return
  command -v openssl >/dev/null || die "openssl is needed (apt-get install openssl)"
  local ip; ip=$(node_ip)
  log "generating certificates and kubeconfigs in $PKI"
  rm -rf "$PKI" && mkdir -p "$PKI" && chmod 711 "$PKI"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -days 365 \
    -subj "/CN=mlmodel-local-ca" 2>/dev/null
  _sign apiserver kube-apiserver "" \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$ip,IP:$KUBERNETES_SVC_IP"
  _sign apiserver-kubelet-client kube-apiserver ""
  _sign admin admin system:masters
  _sign controller-manager system:kube-controller-manager ""
  _sign scheduler system:kube-scheduler ""
  _sign kubelet "system:node:$NODE_NAME" system:nodes "DNS:$NODE_NAME,IP:$ip"
  _sign kube-proxy system:kube-proxy ""
  _sign coredns coredns ""
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  mkdir -p "$CONF"
  _kubeconfig "$ADMIN_KUBECONFIG" admin admin
  _kubeconfig "$CONF/controller-manager.kubeconfig" system:kube-controller-manager controller-manager
  _kubeconfig "$CONF/scheduler.kubeconfig" system:kube-scheduler scheduler
  _kubeconfig "$CONF/kubelet.kubeconfig" "system:node:$NODE_NAME" kubelet
  _kubeconfig "$CONF/kube-proxy.kubeconfig" system:kube-proxy kube-proxy
  _kubeconfig "$CONF/coredns.kubeconfig" coredns coredns
  touch "$PKI/done"
}
