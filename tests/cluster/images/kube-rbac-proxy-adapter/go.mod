module swh.local/kube-rbac-proxy-adapter

go 1.26.0

require sigs.k8s.io/yaml v1.4.0
