package config

import (
	"net"
	"strconv"
	"strings"
	"time"
	"unicode"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
)

// RedisErrorMode is what limits and budgets do while Redis is unreachable.
type RedisErrorMode string

// The modes.
const (
	// RedisFailClosed answers 503 limits_unavailable.
	RedisFailClosed RedisErrorMode = "fail_closed"
	// RedisFailOpen limits each replica locally to its share of every limit
	// and lets budget checks through; every such decision is logged.
	RedisFailOpen RedisErrorMode = "fail_open"
)

// Defaults of the state settings.
const (
	DefaultRedisKeyPrefix = "sluice:"
	DefaultRedisTimeout   = 250 * time.Millisecond
)

// State says where limit and budget counters live.
type State struct {
	// Redis is nil when counters are kept in process memory.
	Redis        *Redis
	OnRedisError RedisErrorMode
	// Replicas is how many replicas share the limits (at least 1).
	Replicas int64
}

// Redis is one Redis server's connection settings.
type Redis struct {
	Address string
	// PasswordEnv names the variable holding the password, or "".
	PasswordEnv string
	// Password is read from PasswordEnv when secrets are resolved. It is a
	// secret: never log it.
	Password  string
	DB        int64
	TLS       bool
	KeyPrefix string
	Timeout   time.Duration
}

// Same reports whether two Redis settings connect the same way, so a
// reload can keep the existing connections.
func (r *Redis) Same(o *Redis) bool {
	if r == nil || o == nil {
		return r == o
	}
	return *r == *o
}

func validateState(s *configv1.State, p *problems) {
	if s == nil {
		return
	}
	mode := RedisErrorMode(s.GetOnRedisError())
	switch {
	case mode != "" && mode != RedisFailClosed && mode != RedisFailOpen:
		p.add("state.on_redis_error", "want %s or %s, got %q", RedisFailClosed, RedisFailOpen, mode)
	case mode != "" && s.GetRedis() == nil:
		p.add("state.on_redis_error", "has no effect without state.redis")
	}
	if s.Replicas != nil {
		switch {
		case *s.Replicas < 1 || *s.Replicas > 10_000:
			p.add("state.replicas", "want 1 to 10000, got %d", *s.Replicas)
		case mode != RedisFailOpen:
			p.add("state.replicas", "is used only with on_redis_error: %s", RedisFailOpen)
		}
	}
	validateRedis(s.GetRedis(), p)
}

func validateRedis(r *configv1.Redis, p *problems) {
	if r == nil {
		return
	}
	if r.GetAddress() == "" {
		p.add("state.redis.address", `is required, such as "127.0.0.1:6379"`)
	} else if _, port, err := net.SplitHostPort(r.GetAddress()); err != nil || !validPort(port) {
		p.add("state.redis.address", `want host:port such as "127.0.0.1:6379", got %q`, r.GetAddress())
	}
	checkEnvName(r.GetPasswordEnv(), "state.redis.password_env", p)
	if r.GetDb() < 0 || r.GetDb() > 1<<20 {
		p.add("state.redis.db", "want a database number from 0, got %d", r.GetDb())
	}
	if k := r.GetKeyPrefix(); strings.IndexFunc(k, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		p.add("state.redis.key_prefix", "must be printable, without spaces")
	} else if strings.ContainsAny(k, "{}") {
		p.add("state.redis.key_prefix", "must not contain '{' or '}': Sluice places its own Redis hash tags")
	}
	checkPositive(r.GetTimeout(), "state.redis.timeout", p)
}

func buildState(s *configv1.State) State {
	out := State{OnRedisError: RedisFailClosed, Replicas: 1}
	if s == nil {
		return out
	}
	if m := s.GetOnRedisError(); m != "" {
		out.OnRedisError = RedisErrorMode(m)
	}
	if s.Replicas != nil {
		out.Replicas = *s.Replicas
	}
	if r := s.GetRedis(); r != nil {
		out.Redis = &Redis{
			Address:     r.GetAddress(),
			PasswordEnv: r.GetPasswordEnv(),
			DB:          r.GetDb(),
			TLS:         r.GetTls(),
			KeyPrefix:   orDefault(r.GetKeyPrefix(), DefaultRedisKeyPrefix),
			Timeout:     DefaultRedisTimeout,
		}
		if t := r.GetTimeout(); t != nil {
			out.Redis.Timeout = t.AsDuration()
		}
	}
	return out
}

// resolveTokens reads the secrets named outside backends: the Redis
// password, the admin token and the webhook's bearer token. One that
// cannot be read is returned as a problem (a warning, or an error when
// secrets are required), and its setting stays empty.
func resolveTokens(snap *Snapshot, s secrets, p *problems) []error {
	var errs []error
	read := func(env, path string, dst *string) {
		if env == "" {
			return
		}
		v, reason := s.env(env)
		if reason != "" {
			errs = append(errs, &Error{File: p.file, Line: p.line(path), Path: path, Msg: reason, Err: ErrCredential})
			return
		}
		*dst = v
	}
	if r := snap.State.Redis; r != nil {
		read(r.PasswordEnv, "state.redis.password_env", &r.Password)
	}
	read(snap.Server.AdminTokenEnv, "server.admin_token_env", &snap.Server.AdminToken)
	if w := snap.BudgetWebhook; w != nil {
		read(w.BearerTokenEnv, "budget_webhook.bearer_token_env", &w.BearerToken)
	}
	return errs
}

func validPort(port string) bool {
	n, err := strconv.ParseUint(port, 10, 16)
	return err == nil && n > 0
}
