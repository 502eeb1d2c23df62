{{/*
The ext_proc HTTP filter, shared by the Istio EnvoyFilter and the
standalone Envoy. Every setting matches envoy/envoy.yaml, where each is
explained; only the cluster, the body modes and the timeouts vary.
Call with (dict "root" $ "cluster" "<cluster name>").
*/}}
{{- define "sluice.extProcFilter" -}}
{{- $x := .root.Values.extProc -}}
name: envoy.filters.http.ext_proc
typed_config:
  "@type": type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor
  grpc_service:
    envoy_grpc:
      cluster_name: {{ .cluster | quote }}
  # Fail closed: without Sluice there is no policy, no limits and no
  # credentials, so a request must not reach a provider.
  failure_mode_allow: false
  processing_mode:
    request_header_mode: SEND
    response_header_mode: SEND
    request_body_mode: {{ $x.requestBodyMode }}
    response_body_mode: {{ $x.responseBodyMode }}
    request_trailer_mode: SKIP
    response_trailer_mode: SKIP
  # Sluice switches the response body to STREAMED for SSE responses;
  # nothing else may be overridden.
  allow_mode_override: true
  allowed_override_modes:
  - request_header_mode: SEND
    response_header_mode: SEND
    request_body_mode: {{ $x.requestBodyMode }}
    response_body_mode: STREAMED
    request_trailer_mode: SKIP
    response_trailer_mode: SKIP
  message_timeout: {{ $x.messageTimeout }}
  max_message_timeout: {{ $x.maxMessageTimeout }}
  mutation_rules:
    disallow_all: true
    allow_expression:
      regex: {{ include "sluice.mutationRegex" . | quote }}
    disallow_is_error: false
  metadata_options:
    forwarding_namespaces:
      untyped: [envoy.filters.http.jwt_authn]
    receiving_namespaces:
      untyped: [sluice]
  request_attributes:
  - source.address
  - request.id
  - xds.route_name
  - connection.uri_san_peer_certificate
{{- end }}

{{- define "sluice.mutationRegex" -}}
x-sluice-.*|x-policy-.*|:path|authorization|x-api-key|api-key|x-goog-api-key|proxy-authorization|anthropic-version|anthropic-beta|accept-encoding|retry-after-ms|x-should-retry|content-type|content-length|x-amz-date|x-amz-security-token|x-amz-content-sha256|x-request-id|retry-after|cache-control|x-ratelimit-.*
{{- end }}

{{/* Clients must never pick a backend or a fallback plan themselves. */}}
{{- define "sluice.earlyHeaderMutation" -}}
early_header_mutation_extensions:
- name: envoy.http.early_header_mutation.header_mutation
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation
    mutations:
    - remove: x-sluice-backend
    - remove: x-sluice-fallback
{{- end }}

{{/*
The ext_proc filter in a fallback member's upstream filters: it runs once
per attempt, and its gRPC metadata names the backend the attempt goes to.
Call with (dict "root" $ "backend" "<name>").
*/}}
{{- define "sluice.upstreamExtProcFilter" -}}
{{- $x := .root.Values.extProc -}}
name: envoy.filters.http.ext_proc
typed_config:
  "@type": type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor
  grpc_service:
    envoy_grpc:
      cluster_name: sluice_ext_proc
    initial_metadata:
    - key: x-sluice-upstream-backend
      value: {{ .backend | quote }}
  failure_mode_allow: false
  processing_mode:
    request_header_mode: SEND
    response_header_mode: SEND
    request_body_mode: {{ $x.requestBodyMode }}
    response_body_mode: {{ $x.responseBodyMode }}
    request_trailer_mode: SKIP
    response_trailer_mode: SKIP
  # STREAMED for an SSE success; NONE to pass an error through without
  # buffering it.
  allow_mode_override: true
  allowed_override_modes:
  - request_header_mode: SEND
    response_header_mode: SEND
    request_body_mode: {{ $x.requestBodyMode }}
    response_body_mode: STREAMED
    request_trailer_mode: SKIP
    response_trailer_mode: SKIP
  - request_header_mode: SEND
    response_header_mode: SEND
    request_body_mode: {{ $x.requestBodyMode }}
    response_body_mode: NONE
    request_trailer_mode: SKIP
    response_trailer_mode: SKIP
  message_timeout: {{ $x.messageTimeout }}
  max_message_timeout: {{ $x.maxMessageTimeout }}
  mutation_rules:
    disallow_all: true
    allow_expression:
      regex: {{ include "sluice.mutationRegex" . | quote }}
    disallow_is_error: false
  metadata_options:
    forwarding_namespaces:
      untyped: [sluice]
    receiving_namespaces:
      untyped: [sluice]
{{- end }}

{{/*
A provider cluster: TLS originated by Envoy, the certificate checked
against the system CAs and the provider's host name. Call with
(dict "root" $ "name" "<cluster>" "backend" <backend> "upstream" bool).
*/}}
{{- define "sluice.providerCluster" -}}
{{- $b := .backend -}}
name: {{ .name }}
type: LOGICAL_DNS
dns_lookup_family: V4_PREFERRED
connect_timeout: 5s
typed_extension_protocol_options:
  envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
    "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
    auto_config:
      http_protocol_options: {}
      http2_protocol_options: {}
    {{- if .upstream }}
    http_filters:
    - {{ include "sluice.upstreamExtProcFilter" (dict "root" .root "backend" $b.name) | indent 6 | trim }}
    - name: envoy.filters.http.upstream_codec
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec
    {{- end }}
load_assignment:
  cluster_name: {{ .name }}
  endpoints:
  - lb_endpoints:
    - endpoint:
        address:
          socket_address: { address: {{ $b.host }}, port_value: {{ get $b "port" | default 443 }} }
{{- if ne (get $b "tls" | toString) "false" }}
transport_socket:
  name: envoy.transport_sockets.tls
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
    sni: {{ $b.host }}
    common_tls_context:
      validation_context:
        trusted_ca: { filename: /etc/ssl/certs/ca-certificates.crt }
        match_typed_subject_alt_names:
        - san_type: DNS
          matcher: { exact: {{ $b.host }} }
{{- end }}
{{- end }}
