#!/usr/bin/env bash
# Starts a local Kubernetes control plane on loopback: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok (fake nodes whose pods become
# Running/Ready without a kubelet). Binaries come from build.sh's cache.
#
#   state:      <repo>/.flk/cluster/   (certs, etcd data, logs/, pids/)
#   kubeconfig: <repo>/.flk/kubeconfig (admin, system:masters)
#
# Everything listens on 127.0.0.1 only. Ports (override by environment):
#   FLK_ETCD_PORT=12379 FLK_ETCD_PEER_PORT=12380 FLK_APISERVER_PORT=16443
#   FLK_KCM_PORT=16257 FLK_SCHEDULER_PORT=16259 FLK_KWOK_PORT=16247
# Other knobs: FLK_KWOK_NODES (fake nodes, default 1), FLK_UP_TIMEOUT (seconds
# to wait for each component, default 120), and build.sh's FLK_CACHE /
# FLK_K8S_VERSION.
#
# Idempotent: when the cluster is already up it says so and exits 0. When it
# is half up (a process died), it is torn down with down.sh and started anew.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
FLK_DIR="$REPO/.flk"
STATE="$FLK_DIR/cluster"
PKI="$STATE/pki"
LOGS="$STATE/logs"
PIDS="$STATE/pids"
KUBECONFIG_OUT="$FLK_DIR/kubeconfig"

ETCD_PORT="${FLK_ETCD_PORT:-12379}"
ETCD_PEER_PORT="${FLK_ETCD_PEER_PORT:-12380}"
APISERVER_PORT="${FLK_APISERVER_PORT:-16443}"
KCM_PORT="${FLK_KCM_PORT:-16257}"
SCHEDULER_PORT="${FLK_SCHEDULER_PORT:-16259}"
KWOK_PORT="${FLK_KWOK_PORT:-16247}"
KWOK_NODES="${FLK_KWOK_NODES:-1}"
UP_TIMEOUT="${FLK_UP_TIMEOUT:-120}"

HOST=127.0.0.1
# Virtual ranges: nothing listens on or routes to them; they only appear in
# object status (service ClusterIPs, fake pod IPs).
SERVICE_CIDR=10.96.0.0/16
SERVICE_APISERVER_IP=10.96.0.1
POD_CIDR=10.244.0.0/16

# Components are started in this order and stopped in the reverse one.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { printf '[flk-up %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# A pid file is ours only while its process still runs with our state dir on
# its command line (guards against a recycled pid).
alive() { # alive NAME
  local f="$PIDS/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$STATE"
}

show_log() { # show_log NAME
  log "last lines of $LOGS/$1.log:"
  tail -n 25 "$LOGS/$1.log" >&2 2>/dev/null || true
}

# wait_until NAME DESC CMD...: polls CMD every 0.5 s, for at most UP_TIMEOUT
# seconds, failing early if the component NAME has exited.
wait_until() {
  local name="$1" desc="$2"; shift 2
  local deadline=$(( SECONDS + UP_TIMEOUT ))
  until "$@" >/dev/null 2>&1; do
    if [[ "$name" != - ]] && ! alive "$name"; then
      show_log "$name"
      die "$name exited while waiting for $desc"
    fi
    if (( SECONDS >= deadline )); then
      [[ "$name" != - ]] && show_log "$name"
      die "timed out after ${UP_TIMEOUT}s waiting for $desc"
    fi
    sleep 0.5
  done
}

# Two up.sh (or an up.sh and a down.sh) at once would trip over each other:
# serialise them on a lock outside .flk/cluster (down.sh deletes that dir).
# The started daemons must not inherit the lock's fd (see launch), or they
# would hold the lock for as long as they run.
mkdir -p "$FLK_DIR"
if [[ -z "${FLK_CLUSTER_LOCKED:-}" ]]; then
  exec 8>"$FLK_DIR/cluster.lock"
  if ! flock -w "${FLK_LOCK_TIMEOUT:-600}" 8; then
    log "ERROR: another up.sh/down.sh has held $FLK_DIR/cluster.lock for ${FLK_LOCK_TIMEOUT:-600}s"
    exit 1
  fi
  export FLK_CLUSTER_LOCKED=1   # down.sh, called below, must not wait for it
fi

# On failure, say where to look; the processes are left for inspection.
trap 'rc=$?; if (( rc != 0 )); then log "up failed; logs in $LOGS; clean up with test/cluster/down.sh"; fi' EXIT

# ------------------------------------------------------------- already up?
all_alive() {
  local c
  for c in "${COMPONENTS[@]}"; do
    [[ "$c" == kwok && ! -f "$PIDS/kwok.pid" ]] && continue  # no kwok build
    alive "$c" || return 1
  done
}

if [[ -d "$PIDS" ]]; then
  if all_alive && [[ -f "$KUBECONFIG_OUT" ]] && [[ -f "$STATE/bin" ]] \
     && "$(cat "$STATE/bin")/kubectl" --kubeconfig "$KUBECONFIG_OUT" \
          --cache-dir "$STATE/kubectl-cache" --request-timeout=5s get --raw /readyz >/dev/null 2>&1; then
    log "cluster already running"
    echo "$KUBECONFIG_OUT"
    exit 0
  fi
  log "cluster state found but not fully running; resetting it"
  "$HERE/down.sh"
fi

# ---------------------------------------------------------------- binaries
start=$SECONDS
build_rc=0
BIN="$("$HERE/build.sh")" || build_rc=$?
# build.sh exits 3 when only kwok failed; everything else is fatal.
if (( build_rc != 0 && build_rc != 3 )); then die "build.sh failed (exit $build_rc)"; fi
[[ -d "$BIN" ]] || die "build.sh printed no bin dir"
K8S_VERSION="$(cat "$BIN/.stamp-kube")"
KUBECTL="$BIN/kubectl"
# kc: our kubectl, with its discovery cache in the state dir, not ~/.kube.
kc() {
  "$KUBECTL" --kubeconfig "$KUBECONFIG_OUT" --cache-dir "$STATE/kubectl-cache" \
    --request-timeout=5s "$@"
}

# ---------------------------------------------------------------- ports free?
port_busy() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }
for p in "$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" "$KCM_PORT" "$SCHEDULER_PORT" "$KWOK_PORT"; do
  if port_busy "$p"; then
    ss -Htlnp "sport = :$p" >&2 || true
    die "port $p is already in use (another cluster? run test/cluster/down.sh, or set FLK_*_PORT)"
  fi
done

mkdir -p "$PKI" "$LOGS" "$PIDS" "$STATE/etcd" "$STATE/kcm" "$STATE/scheduler" "$STATE/kwok"
chmod 700 "$STATE" "$PKI" "$STATE/etcd"
printf '%s\n' "$BIN" >"$STATE/bin"

# ---------------------------------------------------------------- PKI
log "generating CA, certificates and service-account keys"
openssl_quiet() { openssl "$@" 2>/dev/null; }

openssl_quiet req -x509 -new -newkey rsa:2048 -nodes -days 3650 -sha256 \
  -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -subj "/CN=flk-local-ca" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"

# sign NAME SUBJECT EXTENDED_KEY_USAGE [SUBJECT_ALT_NAMES]; CA_NAME picks
# the signing CA (default ca).
sign() {
  local name="$1" subj="$2" eku="$3" san="${4:-}" ca="${CA_NAME:-ca}"
  local ext="$PKI/$name.ext"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -n "$san" ]] && echo "subjectAltName=$san"
  } >"$ext"
  openssl_quiet req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" \
    -out "$PKI/$name.csr" -subj "$subj"
  openssl_quiet x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" \
    -CAcreateserial -days 365 -sha256 -extfile "$ext" -out "$PKI/$name.crt"
  rm -f "$PKI/$name.csr" "$ext"
}

sign apiserver "/CN=kube-apiserver" serverAuth \
  "IP:$HOST,DNS:localhost,IP:$SERVICE_APISERVER_IP,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
# Client identities: the admin (tests, operator) is in system:masters; the
# controller-manager and scheduler use their bootstrap RBAC identities; kwok
# updates node and pod status for every node, so it gets system:masters too.
sign admin "/O=system:masters/CN=flk-admin" clientAuth
sign kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
sign kube-scheduler "/CN=system:kube-scheduler" clientAuth
sign kwok "/O=system:masters/CN=kwok-controller" clientAuth

# A second CA for the aggregation layer ("front proxy"): the apiserver presents
# proxy-client when it proxies to an aggregated API server, and publishes the
# CA in kube-system/extension-apiserver-authentication, where the
# controller-manager and scheduler look for it (they log errors every few
# seconds when it is missing).
openssl_quiet req -x509 -new -newkey rsa:2048 -nodes -days 3650 -sha256 \
  -keyout "$PKI/front-proxy-ca.key" -out "$PKI/front-proxy-ca.crt" -subj "/CN=flk-front-proxy-ca" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
CA_NAME=front-proxy-ca sign front-proxy-client "/CN=front-proxy-client" clientAuth

# Service-account token signing key pair.
openssl_quiet genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key"
openssl_quiet pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"
chmod 600 "$PKI"/*.key

b64() { base64 -w0 <"$1"; }
# write_kubeconfig FILE USER: certificates embedded, so the file stays usable
# when copied elsewhere.
write_kubeconfig() {
  local file="$1" user="$2"
  (umask 077; cat >"$file") <<EOF
apiVersion: v1
kind: Config
clusters:
- name: flk
  cluster:
    server: https://$HOST:$APISERVER_PORT
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(b64 "$PKI/$user.crt")
    client-key-data: $(b64 "$PKI/$user.key")
contexts:
- name: flk
  context:
    cluster: flk
    user: $user
current-context: flk
EOF
}
for u in kube-controller-manager kube-scheduler kwok; do
  write_kubeconfig "$STATE/$u.kubeconfig" "$u"
done

# ---------------------------------------------------------------- start
# launch NAME ARGS...: a new session (setsid) with no terminal (nohup,
# </dev/null), so the process outlives this script and any job control.
# Without job control a background child is no process-group leader, so
# setsid calls setsid(2) itself rather than forking, and $! is the real pid.
# 8>&- closes the lock fd in the daemon.
launch() {
  local name="$1"; shift
  log "starting $name (log: ${LOGS#"$REPO"/}/$name.log)"
  setsid nohup "$@" </dev/null >>"$LOGS/$name.log" 2>&1 8>&- &
  echo "$!" >"$PIDS/$name.pid"
}

launch etcd "$BIN/etcd" \
  --name=flk \
  --data-dir="$STATE/etcd" \
  --listen-client-urls="http://$HOST:$ETCD_PORT" \
  --advertise-client-urls="http://$HOST:$ETCD_PORT" \
  --listen-peer-urls="http://$HOST:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://$HOST:$ETCD_PEER_PORT" \
  --initial-cluster="flk=http://$HOST:$ETCD_PEER_PORT" \
  --initial-cluster-state=new \
  --initial-cluster-token=flk \
  --unsafe-no-fsync \
  --log-level=warn
# Throwaway test data: skipping fsync makes etcd much faster on slow disks.
wait_until etcd "etcd /health" \
  curl -fsS --noproxy '*' --max-time 2 "http://$HOST:$ETCD_PORT/health"

launch kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers="http://$HOST:$ETCD_PORT" \
  --bind-address="$HOST" \
  --advertise-address="$HOST" \
  --secure-port="$APISERVER_PORT" \
  --cert-dir="$STATE/apiserver" \
  --tls-cert-file="$PKI/apiserver.crt" \
  --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --authorization-mode=Node,RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" \
  --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
  --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User \
  --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$PKI/front-proxy-client.crt" \
  --proxy-client-key-file="$PKI/front-proxy-client.key" \
  --allow-privileged=true \
  --endpoint-reconciler-type=none \
  --profiling=false \
  --v=1
# --endpoint-reconciler-type=none: the "kubernetes" Service's endpoints would
# carry the advertise address, and Endpoints may not hold a loopback IP.

write_kubeconfig "$KUBECONFIG_OUT" admin
wait_until kube-apiserver "kube-apiserver /readyz" kc get --raw /readyz

launch kube-controller-manager "$BIN/kube-controller-manager" \
  --kubeconfig="$STATE/kube-controller-manager.kubeconfig" \
  --authentication-kubeconfig="$STATE/kube-controller-manager.kubeconfig" \
  --authorization-kubeconfig="$STATE/kube-controller-manager.kubeconfig" \
  --bind-address="$HOST" \
  --secure-port="$KCM_PORT" \
  --cert-dir="$STATE/kcm" \
  --controllers='*' \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" \
  --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" \
  --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --cluster-name=flk \
  --flex-volume-plugin-dir="$STATE/kcm/flexvolume" \
  --leader-elect=false \
  --profiling=false \
  --v=1
# '*' = every controller that is on by default: garbage collector, deployment,
# replicaset, namespace, serviceaccount, serviceaccount-token, job, ...
# --flex-volume-plugin-dir: otherwise it creates /usr/libexec/kubernetes/...

cat >"$STATE/scheduler/config.yaml" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: $STATE/kube-scheduler.kubeconfig
leaderElection:
  leaderElect: false
EOF
launch kube-scheduler "$BIN/kube-scheduler" \
  --config="$STATE/scheduler/config.yaml" \
  --authentication-kubeconfig="$STATE/kube-scheduler.kubeconfig" \
  --authorization-kubeconfig="$STATE/kube-scheduler.kubeconfig" \
  --bind-address="$HOST" \
  --secure-port="$SCHEDULER_PORT" \
  --cert-dir="$STATE/scheduler" \
  --profiling=false \
  --v=1

wait_until kube-controller-manager "kube-controller-manager /healthz" \
  curl -fsSk --noproxy '*' --max-time 2 "https://$HOST:$KCM_PORT/healthz"
wait_until kube-scheduler "kube-scheduler /healthz" \
  curl -fsSk --noproxy '*' --max-time 2 "https://$HOST:$SCHEDULER_PORT/healthz"

# ---------------------------------------------------------------- kwok
have_kwok=1
[[ -x "$BIN/kwok" ]] || have_kwok=0

if (( have_kwok )); then
  # Stages say how kwok moves objects along. Ours:
  #   node-ready:       a node that is not Ready gets Ready plus capacity etc.
  #   node-heartbeat:   refresh the conditions now and then (liveness itself
  #                     is the node Lease, renewed by --node-lease-duration-seconds)
  #   pod-ready:        a Pending pod on a kwok node becomes Running and Ready
  #   pod-job-complete: a running pod owned by a Job succeeds
  #   pod-delete:       a pod being deleted is removed at once (no kubelet
  #                     would otherwise confirm the deletion)
  # Selectors are jq-like expressions over the object.
  cat >"$STATE/kwok/stages.yaml" <<'EOF'
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: node-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Node
  selector:
    matchExpressions:
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: NotIn
      values: ['True']
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      {{ range NodeConditions }}
      - type: {{ .type | Quote }}
        status: {{ .status | Quote }}
        reason: {{ .reason | Quote }}
        message: {{ .message | Quote }}
        lastHeartbeatTime: {{ $now | Quote }}
        lastTransitionTime: {{ $now | Quote }}
      {{ end }}
      addresses:
      - type: InternalIP
        address: {{ NodeIP | Quote }}
      - type: Hostname
        address: {{ .metadata.name | Quote }}
      {{ with NodePort }}
      daemonEndpoints:
        kubeletEndpoint:
          Port: {{ . }}
      {{ end }}
      allocatable:
      {{ with .status.allocatable }}{{ YAML . 1 }}{{ else }}
        cpu: "32"
        memory: 128Gi
        pods: "250"
      {{ end }}
      capacity:
      {{ with .status.capacity }}{{ YAML . 1 }}{{ else }}
        cpu: "32"
        memory: 128Gi
        pods: "250"
      {{ end }}
      nodeInfo:
        architecture: amd64
        operatingSystem: linux
        kubeletVersion: {{ or .status.nodeInfo.kubeletVersion "fake" | Quote }}
        kubeProxyVersion: {{ or .status.nodeInfo.kubeProxyVersion "fake" | Quote }}
        containerRuntimeVersion: {{ printf "kwok-%s" Version | Quote }}
        kernelVersion: {{ printf "kwok-%s" Version | Quote }}
        osImage: kwok
        bootID: ""
        machineID: ""
        systemUUID: ""
      phase: Running
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: node-heartbeat
spec:
  resourceRef:
    apiGroup: v1
    kind: Node
  selector:
    matchExpressions:
    - key: '.status.phase'
      operator: In
      values: ['Running']
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: In
      values: ['True']
  delay:
    durationMilliseconds: 60000
    jitterDurationMilliseconds: 90000
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      {{ range NodeConditions }}
      - type: {{ .type | Quote }}
        status: {{ .status | Quote }}
        reason: {{ .reason | Quote }}
        message: {{ .message | Quote }}
        lastHeartbeatTime: {{ $now | Quote }}
        lastTransitionTime: {{ .metadata.creationTimestamp | Quote }}
      {{ end }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: DoesNotExist
    - key: '.status.phase'
      operator: In
      values: ['Pending']
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: NotIn
      values: ['True']
  next:
    statusTemplate: |
      {{ $now := Now }}
      phase: Running
      startTime: {{ $now | Quote }}
      conditions:
      - type: PodReadyToStartContainers
        status: "True"
        lastTransitionTime: {{ $now | Quote }}
      - type: Initialized
        status: "True"
        lastTransitionTime: {{ $now | Quote }}
      - type: ContainersReady
        status: "True"
        lastTransitionTime: {{ $now | Quote }}
      - type: Ready
        status: "True"
        lastTransitionTime: {{ $now | Quote }}
      {{ range .spec.readinessGates }}
      - type: {{ .conditionType | Quote }}
        status: "True"
        lastTransitionTime: {{ $now | Quote }}
      {{ end }}
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        ready: true
        started: true
        restartCount: 0
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
      initContainerStatuses:
      {{ range .spec.initContainers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        ready: true
        restartCount: 0
        {{ if eq .restartPolicy "Always" }}
        started: true
        state:
          running:
            startedAt: {{ $now | Quote }}
        {{ else }}
        started: false
        state:
          terminated:
            exitCode: 0
            reason: Completed
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
        {{ end }}
      {{ end }}
      {{ with NodeIPsWith .spec.nodeName }}
      hostIP: {{ index . 0 | Quote }}
      hostIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
      {{ with PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
      podIP: {{ index . 0 | Quote }}
      podIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-job-complete
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: DoesNotExist
    - key: '.status.phase'
      operator: In
      values: ['Running']
    - key: '.metadata.ownerReferences.[].kind'
      operator: In
      values: ['Job']
  next:
    statusTemplate: |
      {{ $now := Now }}
      phase: Succeeded
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        ready: false
        started: false
        restartCount: 0
        state:
          terminated:
            exitCode: 0
            reason: Completed
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
      {{ end }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-delete
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: Exists
  next:
    delete: true
EOF

  write_kubeconfig "$STATE/kwok.kubeconfig" kwok
  # KWOK_WORKDIR keeps kwok from also reading a user's ~/.kwok/kwok.yaml.
  # --server-address binds kwok's own HTTP server (healthz, logs/exec stubs)
  # to loopback; with it unset and a node port set kwok would use 0.0.0.0.
  # Nodes advertise 127.0.0.1 and that port as their "kubelet", so whatever
  # the apiserver sends to a node (logs, exec) also stays on loopback.
  launch kwok env KWOK_WORKDIR="$STATE/kwok" "$BIN/kwok" \
    --kubeconfig="$STATE/kwok.kubeconfig" \
    --config="$STATE/kwok/stages.yaml" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-ip="$HOST" \
    --node-port="$KWOK_PORT" \
    --server-address="$HOST:$KWOK_PORT" \
    --cidr="$POD_CIDR" \
    --node-lease-duration-seconds=40
  wait_until kwok "kwok /healthz" \
    curl -fsS --noproxy '*' --max-time 2 "http://$HOST:$KWOK_PORT/healthz"
else
  log "WARNING: no kwok binary; nodes will not become Ready and pods will stay Pending"
fi

# ---------------------------------------------------------------- nodes
nodes_yaml() {
  local i name
  for (( i = 0; i < KWOK_NODES; i++ )); do
    name="flk-node-$i"
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
    node-role.kubernetes.io/agent: ""
    type: kwok
status:
  allocatable: {cpu: "32", memory: 128Gi, pods: "250"}
  capacity: {cpu: "32", memory: 128Gi, pods: "250"}
  nodeInfo:
    kubeletVersion: $K8S_VERSION
    kubeProxyVersion: $K8S_VERSION
EOF
  done
}
log "registering $KWOK_NODES fake node(s)"
nodes_yaml | kc apply -f - >/dev/null

# ---------------------------------------------------------------- ready?
wait_until - "namespace default" kc get namespace default
wait_until kube-controller-manager "ServiceAccount default/default" \
  kc get serviceaccount default -n default
if (( have_kwok )); then
  node_ready() {
    local s
    s="$(kc get nodes -l type=kwok \
      -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}')"
    [[ "$(grep -c '^True$' <<<"$s")" -eq "$KWOK_NODES" ]]
  }
  wait_until kwok "$KWOK_NODES kwok node(s) Ready" node_ready
fi

log "cluster up in $(( SECONDS - start ))s (kubernetes $K8S_VERSION, apiserver https://$HOST:$APISERVER_PORT)"
log "use: export KUBECONFIG=$KUBECONFIG_OUT"
echo "$KUBECONFIG_OUT"
