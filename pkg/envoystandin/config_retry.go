package envoystandin

import (
	"fmt"
	"strings"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	previousv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/priority/previous_priorities/v3"
)

// previousPriorities is the retry priority extension that moves each retry
// to the next priority: with an aggregate cluster, the next member.
const previousPriorities = "envoy.retry_priorities.previous_priorities"

// retryOn is a set of Envoy's retry_on conditions.
type retryOn uint8

const (
	retryOn5xx retryOn = 1 << iota
	retryOnGatewayError
	retryOnReset
	retryOnConnectFailure
	retryOnStatusCodes
)

var retryOnNames = map[string]retryOn{
	"5xx":                    retryOn5xx,
	"gateway-error":          retryOnGatewayError,
	"reset":                  retryOnReset,
	"connect-failure":        retryOnConnectFailure,
	"retriable-status-codes": retryOnStatusCodes,
}

// retryPolicy is a route's retry_policy with Envoy's defaults resolved.
type retryPolicy struct {
	on                 retryOn
	statusCodes        []int
	numRetries         int
	perTryTimeout      time.Duration // 0: none
	previousPriorities bool
	backOffBase        time.Duration
	backOffMax         time.Duration
}

func compileRetryPolicy(p *routev3.RetryPolicy, at string) (*retryPolicy, error) {
	if p == nil {
		return nil, nil
	}
	if err := onlyFields(p, at, "retry_on", "num_retries", "per_try_timeout", "retriable_status_codes",
		"retry_priority", "retry_back_off"); err != nil {
		return nil, err
	}
	rp := &retryPolicy{numRetries: 1, perTryTimeout: p.GetPerTryTimeout().AsDuration(),
		backOffBase: 25 * time.Millisecond, backOffMax: 250 * time.Millisecond}
	for _, name := range strings.Split(p.GetRetryOn(), ",") {
		name = strings.TrimSpace(name)
		on, ok := retryOnNames[name]
		if !ok && name != "" {
			return nil, fmt.Errorf("%s.retry_on: %q is not supported by the Envoy stand-in", at, name)
		}
		rp.on |= on
	}
	if n := p.GetNumRetries(); n != nil {
		rp.numRetries = int(n.GetValue())
	}
	for _, c := range p.GetRetriableStatusCodes() {
		rp.statusCodes = append(rp.statusCodes, int(c))
	}
	if err := rp.compilePriority(p.GetRetryPriority(), at+".retry_priority"); err != nil {
		return nil, err
	}
	if b := p.GetRetryBackOff(); b != nil {
		rp.backOffBase = b.GetBaseInterval().AsDuration()
		rp.backOffMax = 10 * rp.backOffBase
		if b.GetMaxInterval() != nil {
			rp.backOffMax = b.GetMaxInterval().AsDuration()
		}
	}
	return rp, nil
}

// compilePriority accepts previous_priorities with update_frequency 1, the
// setting that sends attempt i to priority i.
func (rp *retryPolicy) compilePriority(p *routev3.RetryPolicy_RetryPriority, at string) error {
	if p == nil {
		return nil
	}
	if err := onlyFields(p, at, "name", "typed_config"); err != nil {
		return err
	}
	cfg := &previousv3.PreviousPrioritiesConfig{}
	if p.GetName() != previousPriorities || !p.GetTypedConfig().MessageIs(cfg) {
		return fmt.Errorf("%s: only %s is supported by the Envoy stand-in", at, previousPriorities)
	}
	if err := unpack(p.GetTypedConfig(), at, cfg); err != nil {
		return err
	}
	if cfg.GetUpdateFrequency() != 1 {
		return fmt.Errorf("%s.typed_config.update_frequency: only 1 is supported by the Envoy stand-in", at)
	}
	rp.previousPriorities = true
	return nil
}
