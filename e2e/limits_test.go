package e2e

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/tidwall/gjson"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
	"github.com/sluice-gw/sluice/pkg/redistest"
)

// Limit and budget tests: Sluice's limits and budgets through the stand-in,
// with shared state in a real redis-server (pkg/redistest), on one or two
// replicas of the same config.

// limitChatBody is a chat request for gpt-4o (the OpenAI fake), which reports
// fp.TotalTokens of usage whatever it is asked.
func limitChatBody(stream bool, maxTokens int) string {
	return fmt.Sprintf(`{"model":"gpt-4o","stream":%t,"max_tokens":%d,"messages":[{"role":"user","content":"count to three"}]}`, stream, maxTokens)
}

// send posts a chat completion to baseURL as key, reading the whole
// response. Unlike e.post it returns errors, so goroutines may call it.
func (e *env) send(baseURL string, key keyRecord, body string) (rawResponse, error) {
	req, err := http.NewRequest(http.MethodPost, baseURL+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		return rawResponse{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key.key)
	resp, err := e.http.Do(req)
	if err != nil {
		return rawResponse{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: b}, err
}

func (e *env) mustSend(t *testing.T, baseURL string, key keyRecord, body string) rawResponse {
	t.Helper()
	r, err := e.send(baseURL, key, body)
	if err != nil {
		t.Fatalf("POST %s/v1/chat/completions: %v", baseURL, err)
	}
	return r
}

func redisState(addr string, extra ...any) map[string]any {
	s := map[string]any{"redis": map[string]any{"address": addr, "timeout": "100ms"}}
	for i := 0; i+1 < len(extra); i += 2 {
		s[extra[i].(string)] = extra[i+1]
	}
	return s
}

// roundPrices makes gpt-4o cost $1000 per million tokens of every class, so
// one call to the OpenAI fake costs exactly fp.TotalTokens × 1000 micros.
var roundPrices = []map[string]any{{"provider": "openai", "model": "gpt-4o", "input": "1000", "cached_input": "1000", "output": "1000"}}

// checkRateLimited asserts r is Sluice's 429 for a limit: the OpenAI error
// shape, code rate_limit_exceeded, retry-after and the x-ratelimit headers.
func checkRateLimited(t *testing.T, r rawResponse, limitTokens string) {
	t.Helper()
	e := checkOpenAIError(t, r, http.StatusTooManyRequests)
	if c := e.Get("code").String(); c != "rate_limit_exceeded" {
		t.Errorf("error.code = %q, want rate_limit_exceeded; body: %s", c, r.body)
	}
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("retry-after = %q, want whole seconds ≥ 1", r.header.Get("Retry-After"))
	}
	if limitTokens != "" {
		if got := r.header.Get("X-Ratelimit-Limit-Tokens"); got != limitTokens {
			t.Errorf("x-ratelimit-limit-tokens = %q, want %s", got, limitTokens)
		}
		for _, h := range []string{"X-Ratelimit-Remaining-Tokens", "X-Ratelimit-Reset-Tokens"} {
			if r.header.Get(h) == "" {
				t.Errorf("refusal has no %s header", h)
			}
		}
	}
}

// TestLimitSharedRedisStreams sends 200 concurrent streamed calls of one
// key, split across two replicas sharing a Redis, against one
// tokens_per_minute rule. The tokens the admitted calls used must stay
// within the bound of docs/limits.md: limit × (1 + τ/1m) + the admitted
// calls' under-estimates. Two replicas that did not share the counter
// would admit nearly all 200 calls, about twice that.
func TestLimitSharedRedisStreams(t *testing.T) {
	const (
		tpm   = 2000 // the fakes report 21 tokens a call: 200 calls need 4,200
		calls = 200
	)
	r := redistest.StartRedis(t)
	calib := newKey(t, keyRecord{Name: "calibration", Tenant: "e2e"})
	e := newEnv(t, withReplicas(2), withConfig(configOptions{
		keys:       []keyRecord{calib},
		limitRules: []map[string]any{{"name": "per-key", "scope": "key", "tokens_per_minute": tpm}},
		sections:   map[string]any{"state": redisState(r.Addr)},
	}))
	e.fakes.Forbid(calib.key)
	body := limitChatBody(true, fp.OutputTokens)

	// What one call is charged at admission, from another key's counter.
	cr := e.mustSend(t, e.replicaURLs[1], calib, body)
	if cr.status != http.StatusOK {
		t.Fatalf("calibration call: status %d: %s", cr.status, cr.body)
	}
	limit, _ := strconv.Atoi(cr.header.Get("X-Ratelimit-Limit-Tokens"))
	remaining, err := strconv.Atoi(cr.header.Get("X-Ratelimit-Remaining-Tokens"))
	if limit != tpm || err != nil {
		t.Fatalf("calibration call: x-ratelimit-limit-tokens %q, remaining %q; want %d and a number",
			cr.header.Get("X-Ratelimit-Limit-Tokens"), cr.header.Get("X-Ratelimit-Remaining-Tokens"), tpm)
	}
	estimate := tpm - remaining
	t.Logf("one call is charged %d tokens at admission and uses %d", estimate, fp.TotalTokens)
	settled := len(e.requestRecords(t, 1))

	results := make([]rawResponse, calls)
	errs := make([]error, calls)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			<-start
			results[i], errs[i] = e.send(e.replicaURLs[i%2], clientKeyRecord(), body)
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	tau := time.Since(began)

	admitted, refused := 0, 0
	for i, res := range results {
		switch {
		case errs[i] != nil:
			t.Errorf("call %d: %v", i, errs[i])
		case res.status == http.StatusOK:
			admitted++
			if !strings.Contains(string(res.body), "[DONE]") {
				t.Errorf("call %d: admitted stream did not end with [DONE]: %q", i, res.body)
			}
		case res.status == http.StatusTooManyRequests:
			refused++
			if refused <= 3 { // the first few suffice for the shape
				checkRateLimited(t, res, strconv.Itoa(tpm))
			}
		default:
			t.Errorf("call %d: status %d, want 200 or 429: %s", i, res.status, res.body)
		}
	}

	// The tokens the admitted calls used, as Sluice published them.
	used := 0
	for _, rec := range e.requestRecords(t, settled+calls)[settled:] {
		if rec.Status != http.StatusOK {
			continue
		}
		n, _ := strconv.Atoi(rec.DynamicMetadata["sluice"].GetFields()["total_tokens"].GetStringValue())
		if n != fp.TotalTokens {
			t.Errorf("an admitted call published total_tokens %d, want the fake's %d", n, fp.TotalTokens)
		}
		used += n
	}
	debt := admitted * max(0, fp.TotalTokens-estimate)
	bound := float64(tpm)*(1+tau.Seconds()/60) + float64(debt)
	t.Logf("τ=%v: %d admitted, %d refused; %d tokens used, bound %.0f (debt allowance %d)", tau, admitted, refused, used, bound, debt)
	if admitted == 0 || refused == 0 {
		t.Errorf("%d admitted and %d refused: want both, or the limit was not exercised", admitted, refused)
	}
	if float64(used) > bound {
		t.Errorf("admitted calls used %d tokens across both replicas, more than the documented bound %.0f", used, bound)
	}
}

// TestBudgetThresholdsOnceAcrossReplicas charges one tenant budget from two
// replicas at once until it is spent: the webhook must see each of the 50,
// 80 and 100% crossings exactly once.
func TestBudgetThresholdsOnceAcrossReplicas(t *testing.T) {
	r := redistest.StartRedis(t)
	var mu sync.Mutex
	crossings := map[int64]int{}
	keys := map[string]bool{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		ev := gjson.ParseBytes(b)
		mu.Lock()
		defer mu.Unlock()
		if ev.Get("budget").String() == "shared" && ev.Get("type").String() == "budget.threshold_crossed" {
			crossings[ev.Get("threshold_percent").Int()]++
			keys[req.Header.Get("Idempotency-Key")] = true
		}
	}))
	t.Cleanup(hook.Close)
	e := newEnv(t, withReplicas(2), withConfig(configOptions{sections: map[string]any{
		"state":          redisState(r.Addr),
		"prices":         roundPrices,
		"budgets":        []map[string]any{{"name": "shared", "scope": "tenant", "id": "e2e", "period": "daily", "limit": "0.21", "on_exceed": "block"}},
		"budget_webhook": map[string]any{"url": hook.URL},
	}}))
	// 0.21 dollars is ten calls. Rounds of four concurrent calls, two per
	// replica, until the budget refuses.
	body := limitChatBody(false, fp.OutputTokens)
	var blocked *rawResponse
	admitted := 0
	for round := 0; round < 10 && blocked == nil; round++ {
		res := make([]rawResponse, 4)
		errs := make([]error, 4)
		var wg sync.WaitGroup
		for i := range res {
			wg.Go(func() { res[i], errs[i] = e.send(e.replicaURLs[i%2], clientKeyRecord(), body) })
		}
		wg.Wait()
		for i := range res {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if res[i].status == http.StatusOK {
				admitted++
			}
			if res[i].status == http.StatusTooManyRequests && blocked == nil {
				blocked = &res[i]
			} else if res[i].status != http.StatusOK && res[i].status != http.StatusTooManyRequests {
				t.Fatalf("status %d: %s", res[i].status, res[i].body)
			}
		}
	}
	if blocked == nil {
		t.Fatalf("the budget of ten calls never refused a call in 40")
	}
	er := checkOpenAIError(t, *blocked, http.StatusTooManyRequests)
	if c := er.Get("code").String(); c != "budget_exceeded" {
		t.Errorf("error.code = %q, want budget_exceeded", c)
	}
	if v := blocked.header.Get("X-Should-Retry"); v != "false" {
		t.Errorf("x-should-retry = %q, want false", v)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(crossings)
		mu.Unlock()
		if n == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // a duplicate would arrive by now
	mu.Lock()
	defer mu.Unlock()
	for _, p := range []int64{50, 80, 100} {
		if crossings[p] != 1 {
			t.Errorf("the webhook saw the %d%% crossing %d times, want exactly once", p, crossings[p])
		}
	}
	if len(crossings) != 3 || len(keys) != 3 {
		t.Errorf("crossings %v with %d idempotency keys, want 50, 80 and 100 once each", crossings, len(keys))
	}
	checkClusterUsage(t, e, admitted)
}

// checkClusterUsage asks each replica for the deployment's usage: both
// must report every call either of them served, from the shared Redis.
func checkClusterUsage(t *testing.T, e *env, calls int) {
	t.Helper()
	for _, r := range e.replicas {
		deadline := time.Now().Add(10 * time.Second)
		for {
			req, _ := http.NewRequest(http.MethodGet, "http://"+r.adminAddr+"/admin/usage?by=tenant,status", nil)
			req.Header.Set("Authorization", "Bearer "+adminToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			rep := gjson.ParseBytes(b)
			ok := rep.Get(`rows.#(group.status=="200").requests`).Int()
			if resp.StatusCode == http.StatusOK && rep.Get("scope").String() == "cluster" && int(ok) == calls {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %s: /admin/usage = %d %s; want scope cluster with %d successful calls", r.adminAddr, resp.StatusCode, b, calls)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// TestRedisOutage stops Redis under running replicas and starts it again.
func TestRedisOutage(t *testing.T) {
	body := limitChatBody(false, fp.OutputTokens)

	t.Run("fail_closed", func(t *testing.T) {
		r := redistest.StartRedis(t)
		e := newEnv(t, withConfig(configOptions{
			limitRules: []map[string]any{{"name": "per-key", "scope": "key", "requests_per_minute": 1000}},
			sections:   map[string]any{"state": redisState(r.Addr, "on_redis_error", "fail_closed")},
		}))
		if res := e.mustSend(t, e.baseURL, clientKeyRecord(), body); res.status != http.StatusOK {
			t.Fatalf("before the outage: status %d: %s", res.status, res.body)
		}
		r.Stop(t)
		res := e.mustSend(t, e.baseURL, clientKeyRecord(), body)
		if c := checkOpenAIError(t, res, http.StatusServiceUnavailable).Get("code").String(); c != "limits_unavailable" {
			t.Errorf("during the outage: error.code = %q, want limits_unavailable", c)
		}
		r.Restart(t)
		waitStatus(t, e, e.baseURL, body, http.StatusOK, "after Redis restarted")
	})

	t.Run("fail_open", func(t *testing.T) {
		const rpm, replicas = 10, 2
		r := redistest.StartRedis(t)
		e := newEnv(t, withReplicas(replicas), withConfig(configOptions{
			limitRules: []map[string]any{{"name": "per-key", "scope": "key", "requests_per_minute": rpm}},
			sections:   map[string]any{"state": redisState(r.Addr, "on_redis_error", "fail_open", "replicas", replicas)},
		}))
		if res := e.mustSend(t, e.baseURL, clientKeyRecord(), body); res.status != http.StatusOK {
			t.Fatalf("before the outage: status %d: %s", res.status, res.body)
		}
		r.Stop(t)
		// Each replica serves its share, limit / replicas, on its own.
		for i, url := range e.replicaURLs {
			var statuses []int
			for range rpm/replicas + 2 {
				res := e.mustSend(t, url, clientKeyRecord(), body)
				statuses = append(statuses, res.status)
				if res.status == http.StatusTooManyRequests {
					checkRateLimited(t, res, "")
				}
			}
			want := make([]int, 0, len(statuses))
			for j := range statuses {
				want = append(want, map[bool]int{true: 200, false: 429}[j < rpm/replicas])
			}
			if fmt.Sprint(statuses) != fmt.Sprint(want) {
				t.Errorf("replica %d during the outage: statuses %v, want %v (its share of %d)", i, statuses, want, rpm/replicas)
			}
		}
		// Both local shares are spent; a 200 now is Redis (restarted empty)
		// answering again.
		r.Restart(t)
		for _, url := range e.replicaURLs {
			waitStatus(t, e, url, body, http.StatusOK, "after Redis restarted")
		}
	})
}

// waitStatus sends body to url until it gets want, for up to 10 seconds.
func waitStatus(t *testing.T, e *env, url, body string, want int, when string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := e.mustSend(t, url, clientKeyRecord(), body)
		if res.status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still status %d after 10s, want %d: %s", when, res.status, want, res.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRetrySDK drives openai-go with option.WithMaxRetries(2) into Sluice's
// 429s, counting the attempts the stand-in saw.
func TestRetrySDK(t *testing.T) {
	const rpm = 30 // one request every 2s once the bucket is full
	broke := newKey(t, keyRecord{Name: "broke", Tenant: "e2e"})
	e := newEnv(t, withConfig(configOptions{
		keys:       []keyRecord{broke},
		limitRules: []map[string]any{{"name": "per-key", "scope": "key", "requests_per_minute": rpm}},
		sections: map[string]any{
			"prices":  roundPrices,
			"budgets": []map[string]any{{"name": "broke", "scope": "key", "id": broke.ID, "period": "daily", "limit": "0.000001"}},
		},
	}))
	e.fakes.Forbid(broke.key)
	sdk := func(key keyRecord) openai.Client {
		return openai.NewClient(option.WithBaseURL(e.baseURL+"/v1/"), option.WithAPIKey(key.key),
			option.WithMaxRetries(2), option.WithHTTPClient(e.http))
	}
	params := openai.ChatCompletionNewParams{
		Model:     "gpt-4o",
		MaxTokens: openai.Int(fp.OutputTokens),
		Messages:  []openai.ChatCompletionMessageParamUnion{openai.UserMessage("count to three")},
	}
	// attempts runs call and returns the statuses of the requests the
	// stand-in recorded meanwhile.
	attempts := func(call func() error, atLeast int) ([]int, error) {
		// The stand-in records a request after its response has reached the
		// client, so let the previous call's record land before counting.
		before := len(e.requestRecords(t, 0))
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
			n := len(e.requestRecords(t, 0))
			if n == before {
				break
			}
			before = n
		}
		err := call()
		e.requestRecords(t, before+atLeast)
		time.Sleep(300 * time.Millisecond) // a further attempt would be recorded by now
		var statuses []int
		for _, rec := range e.requestRecords(t, 0)[before:] {
			statuses = append(statuses, rec.Status)
		}
		return statuses, err
	}
	body := limitChatBody(false, fp.OutputTokens)

	t.Run("rate_limited_retries_after_retry_after", func(t *testing.T) {
		// Fill the key's bucket until a refusal asks for a wait of at least
		// a second, so the SDK's first attempt is refused too.
		var wait time.Duration
		for range 3 * rpm {
			res := e.mustSend(t, e.baseURL, clientKeyRecord(), body)
			if res.status == http.StatusTooManyRequests {
				ms, _ := strconv.Atoi(res.header.Get("Retry-After-Ms"))
				if wait = time.Duration(ms) * time.Millisecond; wait >= time.Second {
					break
				}
			}
		}
		if wait < time.Second {
			t.Fatalf("no refusal asked for a wait of a second or more (last retry-after-ms %v)", wait)
		}
		began := time.Now()
		statuses, err := attempts(func() error {
			c := sdk(clientKeyRecord())
			_, err := c.Chat.Completions.New(ctxFor(t), params)
			return err
		}, 2)
		took := time.Since(began)
		if err != nil {
			t.Errorf("the SDK gave up: %v", err)
		}
		// Normally [429 200]. Under heavy load (-race on 2 cores) a retry
		// can land a few milliseconds before the bucket has room again and
		// be refused once more; the SDK must still end on a 200 within its
		// retries, having waited as told.
		if s := fmt.Sprint(statuses); s != "[429 200]" && s != "[429 429 200]" {
			t.Errorf("the stand-in saw attempts with statuses %v, want [429 200]", statuses)
		}
		if took < wait-200*time.Millisecond {
			t.Errorf("the call took %v, less than the retry-after of about %v", took, wait)
		}
	})

	t.Run("budget_exceeded_is_not_retried", func(t *testing.T) {
		// The first call spends the budget; the next is refused for good.
		if res := e.mustSend(t, e.baseURL, broke, body); res.status != http.StatusOK {
			t.Fatalf("first call: status %d: %s", res.status, res.body)
		}
		statuses, err := attempts(func() error {
			c := sdk(broke)
			_, err := c.Chat.Completions.New(ctxFor(t), params)
			return err
		}, 1)
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests || apiErr.Code != "budget_exceeded" {
			t.Errorf("err = %v, want a 429 budget_exceeded", err)
		} else if v := apiErr.Response.Header.Get("X-Should-Retry"); v != "false" {
			t.Errorf("x-should-retry = %q, want false", v)
		}
		if fmt.Sprint(statuses) != "[429]" {
			t.Errorf("the stand-in saw attempts with statuses %v, want one: [429]", statuses)
		}
	})
}
