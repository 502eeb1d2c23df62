{{/*
The standalone Envoy's bootstrap: envoy/envoy.yaml with the provider
backends and fallback chains from values, and the ext_proc cluster pointed
at every Sluice pod. docs/envoy.md explains each setting.
*/}}
{{- define "sluice.envoyBootstrap" -}}
{{- $e := .Values.envoy -}}
{{- $byName := dict }}
{{- range $e.backends }}{{ $_ := set $byName .name . }}{{ end -}}
admin:
  # Admin stays on loopback: it can drain and reconfigure Envoy.
  address:
    socket_address: { address: 127.0.0.1, port_value: 9901 }
static_resources:
  listeners:
  - name: sluice_http
    address:
      socket_address: { address: 0.0.0.0, port_value: {{ $e.port }} }
    per_connection_buffer_limit_bytes: {{ int .Values.bufferLimitBytes }}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: sluice
          codec_type: AUTO
          use_remote_address: {{ $e.useRemoteAddress }}
          {{- with $e.xffNumTrustedHops }}
          xff_num_trusted_hops: {{ . }}
          {{- end }}
          stream_idle_timeout: {{ .Values.streamIdleTimeout }}
          request_timeout: 0s
          common_http_protocol_options:
            idle_timeout: 3600s
          {{- include "sluice.earlyHeaderMutation" . | nindent 10 }}
          access_log:
          - name: envoy.access_loggers.stdout
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog
          route_config:
            name: sluice
            virtual_hosts:
            - name: sluice
              domains: ["*"]
              routes:
              {{- range $e.backends }}
              - name: {{ .name }}
                match:
                  prefix: /
                  headers:
                  - name: x-sluice-backend
                    string_match: { exact: {{ .name }} }
                route:
                  cluster: {{ .name }}
                  host_rewrite_literal: {{ .host }}
                  timeout: 0s
                  idle_timeout: {{ $.Values.streamIdleTimeout }}
              {{- end }}
              {{- range $e.fallbackChains }}
              - name: {{ .name }}
                match:
                  prefix: /
                  headers:
                  - name: x-sluice-backend
                    string_match: { exact: {{ .name }} }
                route:
                  cluster: {{ .name }}
                  auto_host_rewrite: true
                  timeout: 0s
                  idle_timeout: {{ $.Values.streamIdleTimeout }}
                  retry_policy:
                    retry_on: 5xx,reset,connect-failure,retriable-status-codes
                    retriable_status_codes: [429]
                    num_retries: {{ sub (len .backends) 1 }}
                    per_try_timeout: {{ $e.perTryTimeout }}
                    retry_priority:
                      name: envoy.retry_priorities.previous_priorities
                      typed_config:
                        "@type": type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig
                        update_frequency: 1
              {{- end }}
              - name: no_backend
                match: { prefix: / }
                direct_response:
                  status: 404
                  body:
                    inline_string: '{"error":{"message":"no backend was selected for this request","type":"not_found_error","param":null,"code":"not_found"}}'
                response_headers_to_add:
                - header: { key: content-type, value: application/json }
                  append_action: OVERWRITE_IF_EXISTS_OR_ADD
          http_filters:
          - {{ include "sluice.extProcFilter" (dict "root" . "cluster" "sluice_ext_proc") | indent 12 | trim }}
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  # Every ready Sluice pod, through the headless Service, so that ext_proc
  # streams are balanced across pods; the gRPC health check drops a pod as
  # soon as it starts draining.
  - name: sluice_ext_proc
    type: STRICT_DNS
    dns_lookup_family: V4_PREFERRED
    dns_refresh_rate: 5s
    connect_timeout: 1s
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config:
          http2_protocol_options:
            connection_keepalive:
              interval: 30s
              timeout: 5s
    health_checks:
    - timeout: 1s
      interval: 5s
      unhealthy_threshold: 2
      healthy_threshold: 1
      grpc_health_check: {}
    load_assignment:
      cluster_name: sluice_ext_proc
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: { address: {{ include "sluice.headlessFQDN" . }}, port_value: {{ .Values.ports.grpc }} }
  {{- range $e.backends }}
  - {{ include "sluice.providerCluster" (dict "root" $ "name" .name "backend" . "upstream" false) | indent 4 | trim }}
  {{- end }}
  {{- $members := dict }}
  {{- range $e.fallbackChains }}
  {{- range .backends }}
  {{- if not (hasKey $byName .) }}
  {{- fail (printf "envoy.fallbackChains: backend %q is not in envoy.backends" .) }}
  {{- end }}
  {{- if not (hasKey $members .) }}
  {{- $_ := set $members . true }}
  - {{ include "sluice.providerCluster" (dict "root" $ "name" (printf "%s_fallback" .) "backend" (get $byName .) "upstream" true) | indent 4 | trim }}
  {{- end }}
  {{- end }}
  {{- end }}
  {{- range $e.fallbackChains }}
  - name: {{ .name }}
    lb_policy: CLUSTER_PROVIDED
    cluster_type:
      name: envoy.clusters.aggregate
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig
        clusters:
        {{- range .backends }}
        - {{ . }}_fallback
        {{- end }}
  {{- end }}
{{- end }}

{{/*
With an inline config, every backend and fallback chain Sluice may pick
must have its route in Envoy: otherwise its requests reach the no_backend
route and get a 404.
*/}}
{{- define "sluice.checkEnvoyBackends" -}}
{{- if not .Values.existingConfigMap }}
{{- $routes := dict }}
{{- range .Values.envoy.backends }}{{ $_ := set $routes .name true }}{{ end }}
{{- range .Values.envoy.fallbackChains }}{{ $_ := set $routes .name (join "," .backends) }}{{ end }}
{{- range (get .Values.config "backends" | default list) }}
{{- if not (hasKey $routes .name) }}
{{- fail (printf "config.backends: backend %q has no route in envoy.backends" .name) }}
{{- end }}
{{- end }}
{{- range (get .Values.config "fallback_chains" | default list) }}
{{- if ne (get $routes .name | toString) (join "," .backends) }}
{{- fail (printf "config.fallback_chains: chain %q needs the same entry in envoy.fallbackChains" .name) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
