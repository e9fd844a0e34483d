{{- /*
Module-specific helpers: how the module settings (openapi/config-values.yaml, under
.Values.serviceWithHealthchecks) become the agent's command line, scheduling and resources. The
fallbacks below equal the schema defaults (addon-operator always applies those first); the template
tests check that rendering without defaults and with them gives the same DaemonSet.
*/ -}}

{{- /* The module's settings (.Values.serviceWithHealthchecks), or an empty map. */ -}}
{{- define "swh.settings" -}}
{{- toJson (index .Values (include "helm_lib_module_camelcase_name" .) | default dict) -}}
{{- end -}}

{{- /* Fails the render with a message naming the settings when they cannot work together. The
agent refuses a renewal interval above half the Lease duration (one missed renewal would fence
a live agent); failing here shows the problem in the module status instead of a crash loop. */ -}}
{{- define "swh.validateSettings" -}}
{{- $s := include "swh.settings" . | fromJson -}}
{{- $lease := dig "heartbeat" "leaseDurationSeconds" 40 $s | int -}}
{{- $renew := dig "heartbeat" "renewIntervalSeconds" 10 $s | int -}}
{{- if gt (mul $renew 2) $lease -}}
{{- fail (printf "settings heartbeat.renewIntervalSeconds (%d) must be at most half of heartbeat.leaseDurationSeconds (%d)" $renew $lease) -}}
{{- end -}}
{{- end -}}

{{- /* The agent's log level flag value: `debug: true` (the Go implementation's setting) wins. */ -}}
{{- define "swh.agentLogLevel" -}}
{{- $s := include "swh.settings" . | fromJson -}}
{{- if dig "debug" false $s -}}
debug
{{- else -}}
{{- dig "logLevel" "Info" $s | lower -}}
{{- end -}}
{{- end -}}

{{- /* Container ports of the agent pod. Health is served on every interface for the kubelet;
metrics only on loopback, so the only way in is kube-rbac-proxy. */ -}}
{{- define "swh.healthPort" -}}9873{{- end -}}
{{- define "swh.metricsPort" -}}9874{{- end -}}
{{- define "swh.rbacProxyPort" -}}8383{{- end -}}

{{- /* The agent's arguments, one flag per settings field that changes its behaviour. Flags (not a
ConfigMap) so that any settings change changes the pod template and rolls the DaemonSet. */ -}}
{{- define "swh.agentArgs" -}}
{{- $s := include "swh.settings" . | fromJson -}}
- --health-bind=:{{ include "swh.healthPort" . }}
- --metrics-bind=127.0.0.1:{{ include "swh.metricsPort" . }}
- --max-concurrent-probes={{ dig "agent" "maxConcurrentProbes" 1000 $s | int }}
- --lease-duration={{ dig "heartbeat" "leaseDurationSeconds" 40 $s | int }}s
- --lease-renew-interval={{ dig "heartbeat" "renewIntervalSeconds" 10 $s | int }}s
- --log-level={{ include "swh.agentLogLevel" . }}
- --verbose-status={{ dig "verboseStatus" false $s }}
{{- end -}}

{{- /* Tolerations: the settings' list when given (an empty list means none); by default every
taint is tolerated, because an agent must run wherever probed pods run. */ -}}
{{- define "swh.agentTolerations" -}}
{{- $agent := dig "agent" dict (include "swh.settings" . | fromJson) -}}
{{- if hasKey $agent "tolerations" -}}
{{- with $agent.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- else }}
tolerations:
  - operator: Exists
{{- end -}}
{{- end -}}

{{- /* nodeSelector from the settings, omitted when empty (agents then run on every node). */ -}}
{{- define "swh.agentNodeSelector" -}}
{{- with dig "agent" "nodeSelector" dict (include "swh.settings" . | fromJson) }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{- /* The agent container's resources from the settings, plus the ephemeral storage its logs need. */ -}}
{{- define "swh.agentResources" -}}
{{- $r := dig "agent" "resources" dict (include "swh.settings" . | fromJson) -}}
resources:
  requests:
    cpu: {{ dig "requests" "cpu" "50m" $r | quote }}
    memory: {{ dig "requests" "memory" "64Mi" $r | quote }}
    {{- include "helm_lib_module_ephemeral_storage_only_logs" . | nindent 4 }}
  limits:
    memory: {{ dig "limits" "memory" "256Mi" $r | quote }}
{{- end -}}
