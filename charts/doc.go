// Package charts holds Sluice's Helm chart (charts/sluice). It has no code:
// its tests render the chart with Helm's own packages for every values file
// in charts/sluice/ci, compare the output to golden files, decode every
// manifest strictly into the Kubernetes, Istio and Prometheus Operator API
// types, and load the standalone Envoy bootstrap the way Envoy would.
package charts
