#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what a fresh machine lacks: Debian packages, npm dependencies (Node 24 comes from the
# `node` devDependency). Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v pg_ctl >/dev/null 2>&1 || [ -x /usr/lib/postgresql/15/bin/pg_ctl ] || missing+=(postgresql)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
# The real nodes of the cluster in a box: containerd and runc run the pods, iptables and
# conntrack serve kube-proxy, gcc builds the pause image's static binary.
command -v containerd >/dev/null 2>&1 || missing+=(containerd)
command -v runc >/dev/null 2>&1 || missing+=(runc)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
command -v conntrack >/dev/null 2>&1 || missing+=(conntrack)
command -v nsenter >/dev/null 2>&1 || missing+=(util-linux)
command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  # The lock lists every platform's optional bindings, so `npm ci` installs exactly it and
  # never rewrites it. Install scripts run only where package.json's allowScripts approves them
  # (node's preinstall, esbuild's postinstall).
  npm ci --no-audit --no-fund
fi

# Go tools of the cluster in a box (etcd, kube-apiserver, kube-controller-manager and the
# addon-operator that runs the module), built once from the Go module proxy into
# ~/.cache/swh-testenv (about 13 minutes cold on 2 cores, instant when cached). Go itself is
# preinstalled on the project's machines; without it this fails with a clear message.
bash tests/testenv/build-tools.sh core
# The real nodes: kubelet, kube-proxy, kube-scheduler, the CNI plugins and the agent pod's
# kube-rbac-proxy (about 3 minutes cold once the Kubernetes module is cached).
bash tests/testenv/build-tools.sh nodes
# helm renders the chart in the template tests, promtool runs the alert rules' unit tests
# (a few minutes each cold, cached after).
bash tests/testenv/build-tools.sh helm promtool
