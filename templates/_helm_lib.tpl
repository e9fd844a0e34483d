{{- /*
Self-written equivalents of the deckhouse_lib_helm helpers this module uses, under the same names
and call signatures. Why: the lib-helm chart cannot be fetched where this module is built and
tested, yet Deckhouse tooling (dmt) recognises some of these helpers by name (templates/monitoring.yaml
must include "helm_lib_prometheus_rules" and "helm_lib_grafana_dashboard_definitions"). When
charts/deckhouse_lib_helm is vendored, delete this file: every call site keeps working.
Only what this module needs is here; behaviour follows lib-helm's documented contract.
*/ -}}

{{- /* Usage: include "helm_lib_module_labels" (list . (dict "app" "agent")) | nindent N
Renders a `labels:` block with heritage, module and the extra labels (values quoted). */ -}}
{{- define "helm_lib_module_labels" -}}
{{- $context := index . 0 -}}
labels:
  heritage: deckhouse
  module: {{ $context.Chart.Name }}
{{- if gt (len .) 1 }}
{{- range $key, $value := index . 1 }}
  {{ $key }}: {{ $value | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- /* Usage: include "helm_lib_module_camelcase_name" . -> serviceWithHealthchecks
The values key of a kebab-case module name (addon-operator's naming). */ -}}
{{- define "helm_lib_module_camelcase_name" -}}
{{- $name := . -}}
{{- if kindIs "map" . }}{{ $name = .Chart.Name }}{{ end -}}
{{- $parts := splitList "-" $name -}}
{{- first $parts -}}
{{- range rest $parts }}{{ title . }}{{ end -}}
{{- end -}}

{{- /* Usage: include "helm_lib_module_image" (list . "agent")
Image of this module from the legacy digests layout:
  <registry>@.Values.global.modulesImages.digests.<moduleCamel>.<image>
<registry> is .Values.<moduleCamel>.registry.base (a module served from its own source) or
.Values.global.modulesImages.registry.base. Without a digest, a tag from
.Values.global.modulesImages.tags.<moduleCamel>.<image> gives <registry>:<tag> (the legacy tags
layout, used by local renders and tests); with neither, rendering fails naming the image. */ -}}
{{- define "helm_lib_module_image" -}}
{{- $context := index . 0 -}}
{{- $image := index . 1 -}}
{{- $module := include "helm_lib_module_camelcase_name" $context -}}
{{- $images := $context.Values.global.modulesImages | default dict -}}
{{- $registry := dig "registry" "base" "" $images -}}
{{- $own := dig "registry" "base" "" (index $context.Values $module | default dict) -}}
{{- if $own }}{{ $registry = $own }}{{ end -}}
{{- if not $registry }}{{ fail "global.modulesImages.registry.base is not set" }}{{ end -}}
{{- $digest := dig $module $image "" ($images.digests | default dict) -}}
{{- $tag := dig $module $image "" ($images.tags | default dict) -}}
{{- if $digest -}}
{{- printf "%s@%s" (trimSuffix "/" $registry) $digest -}}
{{- else if $tag -}}
{{- printf "%s:%s" (trimSuffix "/" $registry) $tag -}}
{{- else -}}
{{- fail (printf "Image %s.%s has no digest (global.modulesImages.digests.%s.%s)" $module $image $module $image) -}}
{{- end -}}
{{- end -}}

{{- /* Usage: include "helm_lib_module_common_image" (list . "kubeRbacProxy")
Image shared by all modules (the `common` module): <global registry>@<digest>, or :<tag>. */ -}}
{{- define "helm_lib_module_common_image" -}}
{{- $context := index . 0 -}}
{{- $image := index . 1 -}}
{{- $images := $context.Values.global.modulesImages | default dict -}}
{{- $registry := dig "registry" "base" "" $images -}}
{{- if not $registry }}{{ fail "global.modulesImages.registry.base is not set" }}{{ end -}}
{{- $digest := dig "common" $image "" ($images.digests | default dict) -}}
{{- $tag := dig "common" $image "" ($images.tags | default dict) -}}
{{- if $digest -}}
{{- printf "%s@%s" (trimSuffix "/" $registry) $digest -}}
{{- else if $tag -}}
{{- printf "%s:%s" (trimSuffix "/" $registry) $tag -}}
{{- else -}}
{{- fail (printf "Image common.%s has no digest (global.modulesImages.digests.common.%s)" $image $image) -}}
{{- end -}}
{{- end -}}

{{- /* Usage: include "helm_lib_module_pod_security_context_run_as_user_deckhouse" . | nindent N
Pod security context: the `deckhouse` user (64535:64535), never root, default seccomp filter. */ -}}
{{- define "helm_lib_module_pod_security_context_run_as_user_deckhouse" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 64535
  runAsGroup: 64535
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{- /* Usage: include "helm_lib_module_container_security_context_pss_restricted" . | nindent N
Container security context meeting the Pod Security "restricted" profile with a read-only root:
no privilege escalation, every capability dropped, non-root 64535, RuntimeDefault seccomp. */ -}}
{{- define "helm_lib_module_container_security_context_pss_restricted" -}}
securityContext:
  readOnlyRootFilesystem: true
  allowPrivilegeEscalation: false
  capabilities:
    drop:
      - ALL
  runAsNonRoot: true
  runAsUser: 64535
  runAsGroup: 64535
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{- /* Usage: include "helm_lib_module_ephemeral_storage_only_logs" . | nindent N
The ephemeral storage a container that writes nothing but its logs needs. */ -}}
{{- define "helm_lib_module_ephemeral_storage_only_logs" -}}
ephemeral-storage: 50Mi
{{- end -}}

{{- /* Usage: include "helm_lib_kube_rbac_proxy_ca_certificate" (list . "<namespace>")
ConfigMap kube-rbac-proxy-ca.crt: the CA kube-rbac-proxy uses to verify client certificates
(Prometheus scrapes with a certificate signed by it). The CA comes from Deckhouse's global values. */ -}}
{{- define "helm_lib_kube_rbac_proxy_ca_certificate" -}}
{{- $context := index . 0 -}}
{{- $namespace := index . 1 -}}
{{- $ca := dig "internal" "modules" "kubeRBACProxyCA" "cert" "" ($context.Values.global | default dict) }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: kube-rbac-proxy-ca.crt
  namespace: {{ $namespace }}
  {{- include "helm_lib_module_labels" (list $context) | nindent 2 }}
  annotations:
    kubernetes.io/description: |
      CA bundle kube-rbac-proxy uses to verify its clients.
data:
  ca.crt: {{ $ca | quote }}
{{- end -}}

{{- /* Usage: include "helm_lib_prometheus_rules" (list . "<namespace>")
One PrometheusRule per file under monitoring/prometheus-rules/ (*.yaml as is, *.tpl rendered
with tpl first), named <chart>-<file name>; each file holds a list of rule groups.
__SCRAPE_INTERVAL__ and __SCRAPE_INTERVAL_X_<N>__ (N = 2..4) are replaced by the Prometheus
scrape interval (global.discovery.prometheusScrapeInterval, default 30 s) and its multiples.
Rendered only when the operator-prometheus-crd module (the PrometheusRule CRD) is enabled. */ -}}
{{- define "helm_lib_prometheus_rules" -}}
{{- $context := index . 0 -}}
{{- $namespace := index . 1 -}}
{{- if has "operator-prometheus-crd" ($context.Values.global.enabledModules | default list) -}}
{{- $interval := int (dig "discovery" "prometheusScrapeInterval" 30 ($context.Values.global | default dict)) -}}
{{- range $path, $_ := $context.Files.Glob "monitoring/prometheus-rules/**.{yaml,tpl}" }}
{{- $text := $context.Files.Get $path -}}
{{- if hasSuffix ".tpl" $path }}{{ $text = tpl $text $context }}{{ end -}}
{{- range $n := list 4 3 2 }}
{{- $text = replace (printf "__SCRAPE_INTERVAL_X_%d__" $n) (printf "%ds" (mul $interval $n)) $text -}}
{{- end -}}
{{- $text = replace "__SCRAPE_INTERVAL__" (printf "%ds" $interval) $text -}}
{{- $groups := fromYamlArray $text -}}
{{- /* fromYamlArray answers a parse error as a one-string list */ -}}
{{- if and (eq (len $groups) 1) (kindIs "string" (first $groups)) -}}
{{- fail (printf "%s is not a YAML list of rule groups: %s" $path (first $groups)) -}}
{{- end -}}
{{- $name := trimPrefix "monitoring/prometheus-rules/" $path | replace ".yaml" "" | replace ".tpl" "" -}}
{{- $name = $name | replace "/" "-" | replace "_" "-" | replace "." "-" | replace " " "-" | lower }}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ printf "%s-%s" $context.Chart.Name $name }}
  namespace: {{ $namespace }}
  {{- include "helm_lib_module_labels" (list $context (dict "app" "prometheus" "prometheus" "main" "component" "rules")) | nindent 2 }}
spec:
  groups:
    {{- toYaml $groups | nindent 4 }}
{{- end }}
{{- end -}}
{{- end -}}

{{- /* Usage: include "helm_lib_grafana_dashboard_definitions" .
One GrafanaDashboardDefinition per monitoring/grafana-dashboards/**.json, named
d8-<chart>-<file name>, in the Grafana folder named after the first sub-directory (or the
module's name for files at the top). Rendered only when the prometheus-crd module is enabled. */ -}}
{{- define "helm_lib_grafana_dashboard_definitions" -}}
{{- $context := . -}}
{{- if has "prometheus-crd" ($context.Values.global.enabledModules | default list) -}}
{{- range $path, $_ := $context.Files.Glob "monitoring/grafana-dashboards/**.json" }}
{{- $relative := trimPrefix "monitoring/grafana-dashboards/" $path -}}
{{- $parts := splitList "/" $relative -}}
{{- $folder := $context.Chart.Name | replace "-" " " | title -}}
{{- if gt (len $parts) 1 }}{{ $folder = first $parts | replace "-" " " | title }}{{ end -}}
{{- $name := trimSuffix ".json" $relative | replace "/" "-" | replace "_" "-" | replace "." "-" | replace " " "-" | lower }}
---
apiVersion: deckhouse.io/v1
kind: GrafanaDashboardDefinition
metadata:
  name: {{ printf "d8-%s-%s" $context.Chart.Name $name }}
  {{- include "helm_lib_module_labels" (list $context (dict "prometheus.deckhouse.io/grafana-dashboard" "")) | nindent 2 }}
spec:
  folder: {{ $folder | quote }}
  definition: |
    {{- $context.Files.Get $path | nindent 4 }}
{{- end }}
{{- end -}}
{{- end -}}
