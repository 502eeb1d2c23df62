{{/*
Names. Kubernetes names are DNS labels: at most 63 characters.
*/}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The standalone Envoy's name; the suffix must survive truncation. */}}
{{- define "sluice.envoyName" -}}
{{- printf "%s-envoy" (include "sluice.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{- define "sluice.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Standard labels (https://helm.sh/docs/chart_best_practices/labels/).
*/}}
{{- define "sluice.labels" -}}
helm.sh/chart: {{ include "sluice.chart" . }}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sluice
{{- end }}

{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: ext-proc
{{- end }}

{{- define "sluice.envoyLabels" -}}
helm.sh/chart: {{ include "sluice.chart" . }}
{{ include "sluice.envoySelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sluice
{{- end }}

{{- define "sluice.envoySelectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: envoy
{{- end }}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sluice.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
Durations. shutdownGrace is a Go duration of whole seconds or minutes
("15s", "1m", "1m30s"); schema and template both refuse anything finer, so
the pod's grace period can be computed from it exactly.
*/}}
{{- define "sluice.shutdownGraceSeconds" -}}
{{- $d := .Values.shutdownGrace }}
{{- $m := regexFind "^[0-9]+m" $d | trimSuffix "m" | default "0" | atoi }}
{{- $s := regexFind "[0-9]+s$" $d | trimSuffix "s" | default "0" | atoi }}
{{- if not (regexMatch "^([0-9]+m)?([0-9]+s)?$" $d) }}
{{- fail (printf "shutdownGrace %q: want whole minutes and seconds, such as 15s or 1m30s" $d) }}
{{- end }}
{{- add (mul $m 60) $s }}
{{- end }}

{{/*
The pod's termination grace: Sluice drains for shutdownGrace, and then
needs a few more seconds to close its admin server and flush; kubelet's
SIGKILL must not cut that short.
*/}}
{{- define "sluice.terminationGracePeriodSeconds" -}}
{{- $drain := include "sluice.shutdownGraceSeconds" . | atoi }}
{{- $grace := .Values.terminationGracePeriodSeconds | default (add $drain .Values.drainHeadroomSeconds) | int }}
{{- if le $grace $drain }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be longer than shutdownGrace (%ds), or in-flight streams are killed mid-drain" $grace $drain) }}
{{- end }}
{{- $grace }}
{{- end }}

{{/* Where the files the pod reads come from. */}}
{{- define "sluice.configMapName" -}}
{{- default (printf "%s-config" (include "sluice.fullname" .)) .Values.existingConfigMap }}
{{- end }}

{{- define "sluice.policiesEnabled" -}}
{{- if or .Values.policies.existingConfigMap .Values.policies.files }}true{{ end }}
{{- end }}

{{- define "sluice.policiesConfigMapName" -}}
{{- default (printf "%s-policies" (include "sluice.fullname" .)) .Values.policies.existingConfigMap }}
{{- end }}

{{- define "sluice.templatesEnabled" -}}
{{- if or .Values.templates.existingConfigMap .Values.templates.files }}true{{ end }}
{{- end }}

{{- define "sluice.templatesConfigMapName" -}}
{{- default (printf "%s-templates" (include "sluice.fullname" .)) .Values.templates.existingConfigMap }}
{{- end }}

{{/*
ConfigMap keys cannot hold "/", so a file in a subdirectory is stored under
a flattened key and put back at its path by the volume's items.
*/}}
{{- define "sluice.fileKey" -}}
{{- regexReplaceAll "[^-._a-zA-Z0-9]" . "_" }}
{{- end }}

{{/* The ext_proc Service's DNS name, as Envoy and Istio address it. */}}
{{- define "sluice.serviceFQDN" -}}
{{- printf "%s.%s.svc.%s" (include "sluice.fullname" .) .Release.Namespace .Values.clusterDomain }}
{{- end }}

{{- define "sluice.headlessFQDN" -}}
{{- printf "%s-headless.%s.svc.%s" (include "sluice.fullname" .) .Release.Namespace .Values.clusterDomain }}
{{- end }}

{{/*
sluice.yaml: the config from values, with the parts the chart owns filled
in: listen addresses and drain period (the probes, Service and grace period
are built from the same values), the mounted policy and template
directories and keys file, and the Redis connection.
*/}}
{{- define "sluice.config" -}}
{{- $cfg := deepCopy (.Values.config | default dict) }}
{{- $server := get $cfg "server" | default dict }}
{{- $_ := set $server "grpc_address" (printf ":%d" (int .Values.ports.grpc)) }}
{{- $_ = set $server "admin_address" (printf ":%d" (int .Values.ports.admin)) }}
{{- $_ = set $server "shutdown_grace" .Values.shutdownGrace }}
{{- if .Values.adminToken.existingSecret }}
{{- $_ = set $server "admin_token_env" "SLUICE_ADMIN_TOKEN" }}
{{- end }}
{{- $_ = set $cfg "server" $server }}
{{- if include "sluice.policiesEnabled" . }}
{{- $policy := get $cfg "policy" | default dict }}
{{- $_ = set $policy "dir" "/etc/sluice/policies" }}
{{- $_ = set $cfg "policy" $policy }}
{{- end }}
{{- if include "sluice.templatesEnabled" . }}
{{- $templates := get $cfg "templates" | default dict }}
{{- $_ = set $templates "dir" "/etc/sluice/templates" }}
{{- $_ = set $cfg "templates" $templates }}
{{- end }}
{{- if .Values.apiKeys.existingSecret }}
{{- $identity := get $cfg "identity" | default dict }}
{{- $_ = set $identity "api_keys_file" (printf "/etc/sluice/keys/%s" .Values.apiKeys.key) }}
{{- $_ = set $cfg "identity" $identity }}
{{- end }}
{{- with .Values.redis }}
{{- if .enabled }}
{{- $redis := dict "address" .address }}
{{- if .tls }}{{ $_ = set $redis "tls" true }}{{ end }}
{{- if .db }}{{ $_ = set $redis "db" (int .db) }}{{ end }}
{{- if .keyPrefix }}{{ $_ = set $redis "key_prefix" .keyPrefix }}{{ end }}
{{- if .timeout }}{{ $_ = set $redis "timeout" .timeout }}{{ end }}
{{- if .passwordSecret.name }}{{ $_ = set $redis "password_env" "SLUICE_REDIS_PASSWORD" }}{{ end }}
{{- $state := get $cfg "state" | default dict }}
{{- $_ = set $state "redis" $redis }}
{{- if .onRedisError }}{{ $_ = set $state "on_redis_error" .onRedisError }}{{ end }}
{{- /* replicas is fail_open's local share, and only allowed with it. */}}
{{- if and (eq (get $state "on_redis_error") "fail_open") (not (hasKey $state "replicas")) }}
{{- $_ = set $state "replicas" (int (ternary $.Values.autoscaling.maxReplicas $.Values.replicaCount $.Values.autoscaling.enabled)) }}
{{- end }}
{{- $_ = set $cfg "state" $state }}
{{- end }}
{{- end }}
{{- toYaml $cfg }}
{{- end }}

{{/* ConfigMap data for a path → content map; two paths may not share a key. */}}
{{- define "sluice.fileData" -}}
{{- $seen := dict }}
{{- $data := dict }}
{{- range $path, $content := . }}
{{- $key := include "sluice.fileKey" $path }}
{{- if hasKey $seen $key }}
{{- fail (printf "files %q and %q both become ConfigMap key %q; rename one" (get $seen $key) $path $key) }}
{{- end }}
{{- $_ := set $seen $key $path }}
{{- $_ = set $data $key ($content | toString) }}
{{- end }}
{{- toYaml $data }}
{{- end }}
