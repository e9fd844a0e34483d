#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Go tools the cluster in a box needs (etcd, kube-apiserver, kube-controller-manager,
# addon-operator), helm for the template tests and promtool for the alert rules' tests, from the
# Go module proxy, once: every tool lands in $SWH_TESTENV_CACHE/bin/<tool>-<version> and is
# skipped when present.
# Each tool gets a wrapper module under src/<tool>-<version>/ because `go install` refuses modules
# carrying `replace` directives (see docs: hook-protocol.md §E).
#
# Usage: build-tools.sh [core|nodes|all|<tool>...]   (default: core = etcd kube-apiserver
#        kube-controller-manager addon-operator; nodes = kubelet kube-proxy kube-scheduler
#        cni-plugins coredns kube-rbac-proxy; all = core + nodes + helm promtool; a single tool by
#        name, e.g. `build-tools.sh helm`)
# Env:   SWH_TESTENV_CACHE (default ~/.cache/swh-testenv)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
. "$here/versions.env"

cache="${SWH_TESTENV_CACHE:-$HOME/.cache/swh-testenv}"
bin_dir="$cache/bin"
src_dir="$cache/src"
log_dir="$cache/logs"
mkdir -p "$bin_dir" "$src_dir" "$log_dir"

# Exits 2 (the caller's "Go is missing" signal) when a build is needed and Go is absent.
require_go() {
  if ! command -v go >/dev/null 2>&1; then
    echo "build-tools: 'go' is not on PATH; install Go >= 1.26 (the tools need go 1.26.4+)" >&2
    exit 2
  fi
}

export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0
export GOTOOLCHAIN=local

k8s_minor="${KUBERNETES_VERSION#v1.}"
k8s_minor="${k8s_minor%%.*}"
staging_version="v0.${KUBERNETES_VERSION#v1.}"
staging_modules=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go
  cloud-provider cluster-bootstrap code-generator component-base component-helpers
  controller-manager cri-api cri-client csi-translation-lib dynamic-resource-allocation
  endpointslice externaljwt kms kube-aggregator kube-controller-manager kube-proxy kube-scheduler
  kubectl kubelet metrics mount-utils pod-security-admission sample-apiserver sample-cli-plugin
  sample-controller)

# The CNI plugins a node's simple network needs: a bridge per node with host-local addresses, the
# pod's loopback, and portmap for hostPort.
cni_pkg_root=github.com/containernetworking/plugins/plugins
cni_plugin_pkgs=("$cni_pkg_root/main/bridge" "$cni_pkg_root/ipam/host-local"
  "$cni_pkg_root/main/loopback" "$cni_pkg_root/meta/portmap")

# Prints the go.mod of the wrapper module for one tool.
wrapper_gomod() {
  local tool="$1"
  case "$tool" in
    etcd)
      printf 'module example.local/etcd\n\ngo 1.25.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' \
        "$ETCD_VERSION"
      ;;
    kube-apiserver | kube-controller-manager | kubelet | kube-proxy | kube-scheduler)
      printf 'module example.local/kubernetes\n\ngo 1.24.0\n\ngodebug default=go1.24\n\n'
      printf 'require k8s.io/kubernetes %s\n\nreplace (\n' "$KUBERNETES_VERSION"
      local m
      for m in "${staging_modules[@]}"; do
        printf '\tk8s.io/%s => k8s.io/%s %s\n' "$m" "$m" "$staging_version"
      done
      printf ')\n'
      ;;
    addon-operator)
      # Replaced: versions addon-operator's go.mod asks for that the proxy refuses (nelm, kubedog,
      # module-sdk), and its own two replace lines (a dependency's are not inherited).
      printf 'module example.local/addon-operator\n\ngo 1.26.4\n\n'
      printf 'require github.com/flant/addon-operator %s\n\nreplace (\n' "$ADDON_OPERATOR_VERSION"
      printf '\tgithub.com/werf/nelm => github.com/werf/nelm v1.28.0\n'
      printf '\tgithub.com/werf/kubedog => github.com/werf/kubedog v0.13.1-0.20260217150136-ed58edf34eac\n'
      printf '\tgithub.com/deckhouse/module-sdk => github.com/deckhouse/module-sdk v0.12.2\n'
      printf '\tgithub.com/go-openapi/swag => github.com/go-openapi/swag v0.21.1\n'
      printf '\tgithub.com/docker/cli => github.com/docker/cli v28.2.2+incompatible\n)\n'
      ;;
    promtool)
      printf 'module example.local/promtool\n\ngo 1.26.0\n\n'
      printf 'require github.com/prometheus/prometheus %s\n' "$PROMETHEUS_VERSION"
      ;;
    cni-plugins)
      printf 'module example.local/cni-plugins\n\ngo 1.26.0\n\n'
      printf 'require github.com/containernetworking/plugins %s\n' "$CNI_PLUGINS_VERSION"
      ;;
    coredns)
      printf 'module example.local/coredns\n\ngo 1.26.0\n\n'
      printf 'require github.com/coredns/coredns %s\n' "$COREDNS_VERSION"
      ;;
    kube-rbac-proxy)
      # The agent pod's metrics sidecar (Deckhouse's common kubeRbacProxy image); its own
      # replace line is repeated (a dependency's are not inherited).
      printf 'module example.local/kube-rbac-proxy\n\ngo 1.26.0\n\n'
      printf 'require github.com/brancz/kube-rbac-proxy %s\n\n' "$KUBE_RBAC_PROXY_VERSION"
      printf 'replace gopkg.in/square/go-jose.v2 => github.com/go-jose/go-jose v2.6.3+incompatible\n'
      ;;
    helm)
      printf 'module example.local/helm\n\ngo 1.26.0\n\nrequire helm.sh/helm/v3 %s\n' \
        "$HELM_VERSION"
      ;;
  esac
}

# Prints "<version> <wrapper dir name> <module@version to go get> <main package>..." for one tool.
tool_spec() {
  case "$1" in
    etcd) echo "$ETCD_VERSION etcd-$ETCD_VERSION go.etcd.io/etcd/server/v3@$ETCD_VERSION go.etcd.io/etcd/server/v3" ;;
    kube-apiserver) echo "$KUBERNETES_VERSION kubernetes-$KUBERNETES_VERSION k8s.io/kubernetes@$KUBERNETES_VERSION k8s.io/kubernetes/cmd/kube-apiserver" ;;
    kube-controller-manager) echo "$KUBERNETES_VERSION kubernetes-$KUBERNETES_VERSION k8s.io/kubernetes@$KUBERNETES_VERSION k8s.io/kubernetes/cmd/kube-controller-manager" ;;
    kubelet | kube-proxy | kube-scheduler) echo "$KUBERNETES_VERSION kubernetes-$KUBERNETES_VERSION k8s.io/kubernetes@$KUBERNETES_VERSION k8s.io/kubernetes/cmd/$1" ;;
    # Several main packages: the binaries land in the directory cni-plugins-<version>/.
    cni-plugins) echo "$CNI_PLUGINS_VERSION cni-plugins-$CNI_PLUGINS_VERSION github.com/containernetworking/plugins@$CNI_PLUGINS_VERSION ${cni_plugin_pkgs[*]}" ;;
    coredns) echo "$COREDNS_VERSION coredns-$COREDNS_VERSION github.com/coredns/coredns@$COREDNS_VERSION github.com/coredns/coredns" ;;
    kube-rbac-proxy) echo "$KUBE_RBAC_PROXY_VERSION kube-rbac-proxy-$KUBE_RBAC_PROXY_VERSION github.com/brancz/kube-rbac-proxy@$KUBE_RBAC_PROXY_VERSION github.com/brancz/kube-rbac-proxy/cmd/kube-rbac-proxy" ;;
    addon-operator) echo "$ADDON_OPERATOR_VERSION addon-operator-$ADDON_OPERATOR_VERSION github.com/flant/addon-operator@$ADDON_OPERATOR_VERSION github.com/flant/addon-operator/cmd/addon-operator" ;;
    promtool) echo "$PROMETHEUS_VERSION promtool-$PROMETHEUS_VERSION github.com/prometheus/prometheus@$PROMETHEUS_VERSION github.com/prometheus/prometheus/cmd/promtool" ;;
    helm) echo "$HELM_VERSION helm-$HELM_VERSION helm.sh/helm/v3@$HELM_VERSION helm.sh/helm/v3/cmd/helm" ;;
    *) echo "build-tools: unknown tool '$1'" >&2; return 2 ;;
  esac
}

# Prints the -ldflags value for one tool.
tool_ldflags() {
  local flags="-s -w"
  case "$1" in
    kube-apiserver | kube-controller-manager | kubelet | kube-proxy | kube-scheduler)
      local pkg
      for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        flags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1"
        flags+=" -X $pkg.gitMinor=$k8s_minor -X $pkg.gitTreeState=clean"
        flags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
      done
      ;;
    helm)
      # Without it `helm version` reports v3.x-dev; the chart's kubeVersion checks use it too.
      flags+=" -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
      ;;
  esac
  echo "$flags"
}

# Builds one tool unless its binary already exists; records the build time.
build_tool() {
  local tool="$1" spec version wrapper getarg pkgs
  spec="$(tool_spec "$tool")" || return 1
  read -r version wrapper getarg pkgs <<<"$spec"
  local out="$bin_dir/$tool-$version" log="$log_dir/$tool-$version.log"
  # Quiet when already built: setup.sh runs this on every call.
  [ -x "$out" ] && return 0
  # One builder per wrapper module at a time (kube-apiserver and kube-controller-manager share
  # one): jest's global setup and setup.sh may race. A second builder waits here, then finds the
  # binary built.
  exec 9>"$cache/.build-$wrapper.lock"
  flock 9
  if [ -x "$out" ]; then
    echo "build-tools: $tool $version was built meanwhile ($out)"
    exec 9>&-
    return 0
  fi
  require_go
  local dir="$src_dir/$wrapper"
  mkdir -p "$dir"
  [ -f "$dir/go.mod" ] || wrapper_gomod "$tool" >"$dir/go.mod"
  echo "build-tools: building $tool $version (log: $log)"
  local start end
  start=$(date +%s)
  if (
    cd "$dir"
    go get "$getarg"
    # With several packages, -o names a directory (a trailing slash) that gets one binary each.
    local target="$out.tmp.$$"
    [[ "$pkgs" == *" "* ]] && target+="/"
    # shellcheck disable=SC2086 # pkgs is a list of Go package paths
    go build -trimpath -ldflags "$(tool_ldflags "$tool")" -o "$target" $pkgs
  ) >"$log" 2>&1; then
    rm -rf "$out"
    mv -f "$out.tmp.$$" "$out"
    exec 9>&-
    end=$(date +%s)
    printf '%s\t%s\t%ss\t%s\n' "$tool" "$version" "$((end - start))" "$(date -u +%FT%TZ)" \
      >>"$log_dir/build-times.tsv"
    echo "build-tools: built $tool $version in $((end - start))s"
  else
    rm -rf "$out.tmp.$$"
    exec 9>&-
    echo "build-tools: FAILED to build $tool $version; last lines of $log:" >&2
    tail -n 15 "$log" >&2
    return 1
  fi
}

main() {
  local tools=()
  case "${1:-core}" in
    core) tools=(etcd kube-apiserver kube-controller-manager addon-operator) ;;
    nodes) tools=(kubelet kube-proxy kube-scheduler cni-plugins coredns kube-rbac-proxy) ;;
    all) tools=(etcd kube-apiserver kube-controller-manager addon-operator kubelet kube-proxy
      kube-scheduler cni-plugins coredns kube-rbac-proxy helm promtool) ;;
    *) tools=("$@") ;;
  esac
  local failed=()
  local tool
  for tool in "${tools[@]}"; do
    build_tool "$tool" || failed+=("$tool")
  done
  if [ ${#failed[@]} -gt 0 ]; then
    echo "build-tools: failed: ${failed[*]}" >&2
    return 1
  fi
}

main "$@"
