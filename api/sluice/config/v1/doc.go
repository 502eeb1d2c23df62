// Package configv1 holds the Go types generated from Sluice's configuration
// schema, config.proto. Regenerate with `make proto`; pkg/config decodes
// YAML into these types and is where validation and defaults live.
package configv1
