{{/*
The Sluice container's environment: provider keys and other secrets from
existing Secrets, never from values.
*/}}
{{- define "sluice.env" -}}
{{- $env := list }}
{{- range .Values.providerSecrets }}
{{- $ref := dict "name" .secretName "key" .key }}
{{- if get . "optional" }}{{ $_ := set $ref "optional" true }}{{ end }}
{{- $env = append $env (dict "name" .env "valueFrom" (dict "secretKeyRef" $ref)) }}
{{- end }}
{{- with .Values.redis }}
{{- if and .enabled .passwordSecret.name }}
{{- $env = append $env (dict "name" "SLUICE_REDIS_PASSWORD" "valueFrom" (dict "secretKeyRef" (dict "name" .passwordSecret.name "key" .passwordSecret.key))) }}
{{- end }}
{{- end }}
{{- with .Values.adminToken }}
{{- if .existingSecret }}
{{- $env = append $env (dict "name" "SLUICE_ADMIN_TOKEN" "valueFrom" (dict "secretKeyRef" (dict "name" .existingSecret "key" .key))) }}
{{- end }}
{{- end }}
{{- $env = concat $env .Values.extraEnv }}
{{- if $env }}
env:
  {{- toYaml $env | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Every file is mounted as a whole directory, never with subPath: kubelet
updates a ConfigMap or Secret volume by swapping its ..data symlink, which
Sluice's watchers follow; a subPath mount would keep the old file forever.
The nested mounts below /etc/sluice are created by kubelet inside the
read-only config volume.
*/}}
{{- define "sluice.volumeMounts" -}}
- name: config
  mountPath: /etc/sluice
  readOnly: true
{{- if include "sluice.policiesEnabled" . }}
- name: policies
  mountPath: /etc/sluice/policies
  readOnly: true
{{- end }}
{{- if include "sluice.templatesEnabled" . }}
- name: templates
  mountPath: /etc/sluice/templates
  readOnly: true
{{- end }}
{{- if .Values.apiKeys.existingSecret }}
- name: api-keys
  mountPath: /etc/sluice/keys
  readOnly: true
{{- end }}
- name: tmp
  mountPath: /tmp
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "sluice.volumes" -}}
- name: config
  configMap:
    name: {{ include "sluice.configMapName" . }}
    {{- if .Values.existingConfigMap }}
    items:
      - key: {{ .Values.existingConfigMapKey }}
        path: sluice.yaml
    {{- end }}
{{- if include "sluice.policiesEnabled" . }}
- name: policies
  configMap:
    name: {{ include "sluice.policiesConfigMapName" . }}
    {{- with include "sluice.fileItems" .Values.policies | trim }}
    {{- . | nindent 4 }}
    {{- end }}
{{- end }}
{{- if include "sluice.templatesEnabled" . }}
- name: templates
  configMap:
    name: {{ include "sluice.templatesConfigMapName" . }}
    {{- with include "sluice.fileItems" .Values.templates | trim }}
    {{- . | nindent 4 }}
    {{- end }}
{{- end }}
{{- if .Values.apiKeys.existingSecret }}
- name: api-keys
  secret:
    secretName: {{ .Values.apiKeys.existingSecret }}
    items:
      - key: {{ .Values.apiKeys.key }}
        path: {{ .Values.apiKeys.key }}
{{- end }}
# Scratch space for the Go runtime and OPA; the root filesystem is read-only.
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Files from values go back to their paths, subdirectories included. An
existing ConfigMap is mounted whole: its keys are its file names.
*/}}
{{- define "sluice.fileItems" -}}
{{- if and .files (not .existingConfigMap) }}
items:
{{- range $path, $_ := .files }}
  - key: {{ include "sluice.fileKey" $path }}
    path: {{ $path | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Scheduling: spread replicas over nodes and zones so one node's loss or a
drain does not take the gateway down.
*/}}
{{- define "sluice.scheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .Values.affinity }}
affinity:
  {{- toYaml .Values.affinity | nindent 2 }}
{{- else if .Values.podAntiAffinity }}
affinity:
  podAntiAffinity:
    {{- if eq .Values.podAntiAffinity "hard" }}
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "sluice.selectorLabels" . | nindent 12 }}
    {{- else }}
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "sluice.selectorLabels" . | nindent 14 }}
    {{- end }}
{{- end }}
{{- with .Values.topologySpreadConstraints }}
topologySpreadConstraints:
{{- range . }}
  - maxSkew: {{ .maxSkew | default 1 }}
    topologyKey: {{ .topologyKey }}
    whenUnsatisfiable: {{ .whenUnsatisfiable | default "ScheduleAnyway" }}
    labelSelector:
      matchLabels:
        {{- include "sluice.selectorLabels" $ | nindent 8 }}
{{- end }}
{{- end }}
{{- end }}
