package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/budget"
	"github.com/sluice-gw/sluice/pkg/translate"
)

func TestLimitsBudgetsAndStateBuilt(t *testing.T) {
	env := map[string]string{
		"REDIS_PASSWORD": "redis-secret", "SLUICE_ADMIN_TOKEN": "admin-secret",
		"BUDGET_WEBHOOK_TOKEN": "hook-secret", "OPENAI_API_KEY": "sk-x",
	}
	snap, err := Load("testdata/valid/limits.yaml", LoadOptions{ResolveSecrets: true,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Warnings) > 0 {
		t.Errorf("warnings: %v", snap.Warnings)
	}
	wantState := State{OnRedisError: RedisFailOpen, Replicas: 3, Redis: &Redis{
		Address: "127.0.0.1:6379", PasswordEnv: "REDIS_PASSWORD", Password: "redis-secret",
		DB: 2, TLS: true, KeyPrefix: "gw1:", Timeout: 100 * time.Millisecond,
	}}
	if d := cmp.Diff(wantState, snap.State); d != "" {
		t.Errorf("state (-want +got):\n%s", d)
	}
	if snap.Limits.DefaultOutputTokens != 512 || len(snap.Limits.Rules) != 5 {
		t.Errorf("limits = %+v", snap.Limits)
	}
	gold := snap.Limits.Rules[2]
	if gold != (LimitRule{Name: "gold-keys", Scope: ScopeKey, Class: "gold", TokensPerMinute: 500000}) || !gold.LimitsTokens() {
		t.Errorf("gold rule = %+v", gold)
	}
	anchor := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	wantBudgets := []budget.Budget{
		{Name: "acme-monthly", Scope: budget.Scope{Kind: budget.Tenant, ID: "acme"}, Period: budget.Period{Kind: budget.Monthly}, LimitMicros: 500_000_000, OnExceed: budget.Block},
		{Name: "search-daily", Scope: budget.Scope{Kind: budget.Team, ID: "acme/search"}, Period: budget.Period{Kind: budget.Daily}, LimitMicros: 20_000_000, OnExceed: budget.Downgrade},
		{Name: "weekly-per-key", Scope: budget.Scope{Kind: budget.Key, ID: "*"}, Period: budget.Period{Kind: budget.Window, Every: 168 * time.Hour, Anchor: anchor}, LimitMicros: 25_500_000, OnExceed: budget.Alert},
	}
	if d := cmp.Diff(wantBudgets, snap.Budgets); d != "" {
		t.Errorf("budgets (-want +got):\n%s", d)
	}
	if _, err := budget.NewTracker(budget.NewMemoryStore(nil), snap.Budgets); err != nil {
		t.Errorf("the budget package refuses what config accepted: %v", err)
	}
	wantHook := &BudgetWebhook{URL: "https://ops.example/hooks/budget", BearerTokenEnv: "BUDGET_WEBHOOK_TOKEN",
		BearerToken: "hook-secret", Headers: map[string]string{"x-source": "sluice"}}
	if d := cmp.Diff(wantHook, snap.BudgetWebhook); d != "" {
		t.Errorf("webhook (-want +got):\n%s", d)
	}
	if snap.Server.AdminToken != "admin-secret" {
		t.Errorf("admin token not resolved")
	}
	prices, ok := snap.Prices.Lookup("gpt-4o", translate.OpenAI)
	if !ok || prices.Input != 2_000_000 || prices.CachedInput != 1_000_000 || prices.Output != 8_000_000 {
		t.Errorf("gpt-4o override = %+v, %v", prices, ok)
	}
	if _, ok := snap.Prices.Lookup("llama-70b", translate.OpenAICompatible); !ok {
		t.Error("an added model's alias is not priced")
	}
	if _, ok := snap.Prices.Lookup("gpt-4o-mini", translate.OpenAI); !ok {
		t.Error("the built-in prices are gone")
	}
}

func TestWithoutNewSectionsNothingIsLimited(t *testing.T) {
	snap, err := Load("testdata/valid/minimal.yaml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Limits.Rules) != 0 || len(snap.Budgets) != 0 || snap.BudgetWebhook != nil || snap.State.Redis != nil {
		t.Errorf("a config without limits got some: %+v %+v %+v", snap.Limits, snap.Budgets, snap.State)
	}
	if snap.State.OnRedisError != RedisFailClosed || snap.State.Replicas != 1 || snap.Limits.DefaultOutputTokens != DefaultOutputTokens {
		t.Errorf("defaults: %+v %+v", snap.State, snap.Limits)
	}
	if snap.Prices == nil || snap.Server.AdminToken != "" {
		t.Errorf("prices %v, admin token set without config", snap.Prices)
	}
}

func TestUnsetTokensAreWarningsOrErrors(t *testing.T) {
	lookup := func(k string) (string, bool) { return "x", k == "OPENAI_API_KEY" }
	snap, err := Load("testdata/valid/limits.yaml", LoadOptions{ResolveSecrets: true, LookupEnv: lookup})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(snap.Warnings, "\n")
	for _, want := range []string{
		"limits.yaml:17: state.redis.password_env: environment variable REDIS_PASSWORD is not set",
		"limits.yaml:3: server.admin_token_env: environment variable SLUICE_ADMIN_TOKEN is not set",
		"limits.yaml:38: budget_webhook.bearer_token_env: environment variable BUDGET_WEBHOOK_TOKEN is not set",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing warning %q in:\n%s", want, got)
		}
	}
	_, err = Load("testdata/valid/limits.yaml", LoadOptions{RequireSecrets: true, LookupEnv: lookup})
	if !errors.Is(err, ErrCredential) {
		t.Errorf("RequireSecrets: err = %v, want ErrCredential", err)
	}
}
