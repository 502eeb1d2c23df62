// Package envoystandin is an Envoy stand-in for development and tests. It is
// NOT a production proxy: it has no hardening, no connection management worth
// the name, and it implements only the subset of Envoy that Sluice depends on.
// Deploy real Envoy with envoy/envoy.yaml in production.
//
// The stand-in loads the same bootstrap that operators give Envoy
// (envoy/envoy.yaml), serves its listener, matches its routes, and drives
// Sluice's ext_proc gRPC server exactly the way Envoy's ext_proc filter does:
// one stream per request, one message at a time, per-message timeouts,
// processing modes and mode overrides, header mutation rules, content-length
// rules, route-cache clearing, immediate responses and dynamic metadata. It
// then forwards the request to the chosen cluster, retrying as the route's
// retry policy allows (across an aggregate cluster's members, with a fresh
// upstream ext_proc stream per attempt), and streams the response back
// through the response phases. `sluice dev` and the end-to-end tests use
// it, so Sluice is exercised against Envoy's rules without an Envoy binary.
//
// Anything in the bootstrap outside the documented subset (README.md) is a
// load error naming the field, never a guess.
package envoystandin
