package policy

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/sluice-gw/sluice/pkg/policyvm"
)

// The input is built as AST terms directly: a JSON round trip (or OPA's
// reflection-based conversion) costs several times more on every request.
// Keys are shared, immutable terms; most objects are records, whose keys
// are listed below.
var (
	kRoles, kLabels, kModel, kName, kVersionField = key("roles"), key("labels"), key("model"), key("name"), key("version")
	kPresent, kCount, kNames, kPII, kTypes        = key("present"), key("count"), key("names"), key("pii"), key("types")
	kInjection, kScore, kVerdict, kSignals        = key("injection"), key("score"), key("verdict"), key("signals")
	kNow, kUnix, kWeekday, kHour                  = key("now"), key("unix"), key("weekday"), key("hour")

	// noTemplate is input.request.template when no template was rendered.
	noTemplate = ast.ObjectTerm(ast.Item(kName, emptyString), ast.Item(kVersionField, emptyString))

	versionTerm = ast.StringTerm(InputVersion)
	emptyString = ast.StringTerm("")
	emptyObject = ast.NewTerm(ast.NewObject())
	emptyArray  = ast.ArrayTerm()
)

func key(s string) *ast.Term { return ast.StringTerm(s) }

// knownStrings are values most requests carry; sharing their terms saves
// an allocation each.
var knownStrings = func() map[string]*ast.Term {
	m := map[string]*ast.Term{}
	for _, s := range []string{
		"api_key", "jwt", "mtls", "header", "anonymous",
		"chat_completions", "embeddings", "anthropic_messages", "models", "prompt",
		"GET", "POST", "/v1/chat/completions", "/v1/embeddings", "/v1/messages", "/v1/models", "sluice",
		"text", "json_object", "json_schema", "benign", "injection",
	} {
		m[s] = ast.StringTerm(s)
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		m[d.String()] = ast.StringTerm(d.String())
	}
	return m
}()

// builder makes the terms of one input from a slab, so a request costs a
// few allocations rather than two per field. Strings found in names (the
// catalogue's tenants, models, ...) reuse the very terms that key
// data.sluice, which also lets OPA's lookups match them by pointer.
type builder struct {
	slab  []ast.Term
	vals  []*ast.Term // records' values
	names map[string]*ast.Term
	ids   *identities // nil: build input.identity every time
}

// slabTerms is a block of terms: an input whose identity comes from the
// cache takes 24 to 29 of them in the reference policy's tests, and a
// larger input takes a second block.
const slabTerms = 32

// valSlab holds the values of an input's records, identity aside: the
// input, its request with parameters, tools and template, source and
// findings.
const valSlab = 8 + 15 + 11 + 3 + 2 + 2 + 2 + 2 + 3

func (b *builder) term(v ast.Value) *ast.Term {
	if len(b.slab) == 0 {
		b.slab = make([]ast.Term, slabTerms)
	}
	t := &b.slab[0]
	b.slab = b.slab[1:]
	t.Value = v
	return t
}

func (b *builder) str(s string) *ast.Term {
	if s == "" {
		return emptyString
	}
	if t, ok := b.names[s]; ok {
		return t
	}
	if t, ok := knownStrings[s]; ok {
		return t
	}
	return b.term(ast.String(s))
}

func (b *builder) int(i int) *ast.Term {
	if ast.HasInternedIntNumberTerm(i) {
		return ast.IntNumberTerm(i)
	}
	return b.term(ast.Number(strconv.Itoa(i)))
}

func (b *builder) float(f float64) *ast.Term {
	if f > -1<<53 && f < 1<<53 && f == float64(int64(f)) {
		return b.int(int(f))
	}
	return b.term(ast.Number(strconv.FormatFloat(f, 'g', -1, 64)))
}

func (b *builder) object(items ...[2]*ast.Term) *ast.Term {
	return b.term(ast.NewObject(items...))
}

// The objects of fixed shape are records (see policyvm.Record): the
// evaluation reads their members without OPA's object map being built.
// Their keys are listed sorted, and each record's values in that order.
var (
	inputKeys = policyvm.NewRecordKeys("findings", "identity", "request", "route_name",
		"source", "time", "usage", "version")
	requestKeys = policyvm.NewRecordKeys("api", "id", "images", "input_tokens_estimate",
		"last_user_message", "max_tokens", "message_count", "method", "model",
		"model_requested", "parameters", "path", "stream", "template", "tools")
	identityKeys = policyvm.NewRecordKeys("app", "authenticated", "jwt", "key", "labels",
		"principal", "roles", "source", "subject", "team", "tenant", "user")
	keyKeys       = policyvm.NewRecordKeys("expired", "expires_at", "id", "labels", "name", "owner")
	sourceKeys    = policyvm.NewRecordKeys("address", "port")
	toolsKeys     = policyvm.NewRecordKeys("count", "names", "present")
	templateKeys  = policyvm.NewRecordKeys("name", "version")
	findingsKeys  = policyvm.NewRecordKeys("injection", "pii")
	piiKeys       = policyvm.NewRecordKeys("count", "types")
	injectionKeys = policyvm.NewRecordKeys("score", "signals", "verdict")
	// paramKeys are the request parameters package inbound reports: its
	// sampling parameters and response_format.
	paramKeys = policyvm.NewRecordKeys("frequency_penalty", "n", "parallel_tool_calls",
		"presence_penalty", "reasoning_effort", "response_format", "seed", "temperature",
		"tool_choice", "top_k", "top_p")
)

// record is a record of keys holding vals, from the builder's slabs.
func (b *builder) record(keys *policyvm.RecordKeys, vals ...*ast.Term) *ast.Term {
	own := b.values(len(vals))
	copy(own, vals)
	return b.term(policyvm.NewRecord(keys, own))
}

// values takes n values' room from the slab.
func (b *builder) values(n int) []*ast.Term {
	if len(b.vals) < n {
		b.vals = make([]*ast.Term, max(valSlab, n))
	}
	own := b.vals[:n:n]
	b.vals = b.vals[n:]
	return own
}

// params is input.request.parameters: a record, unless a parameter is
// not one of paramKeys.
func (b *builder) params(m map[string]any) (*ast.Term, error) {
	if len(m) == 0 {
		return emptyObject, nil
	}
	vals := b.values(paramKeys.Len())
	for k, v := range m {
		i := paramKeys.Index(k)
		if i < 0 {
			return b.anyMap(m) // the room taken for vals stays unused
		}
		t, err := b.any(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		vals[i] = t
	}
	return b.term(policyvm.NewRecord(paramKeys, vals)), nil
}

func (b *builder) strings(ss []string) *ast.Term {
	if len(ss) == 0 {
		return emptyArray
	}
	terms := make([]*ast.Term, len(ss))
	for i, s := range ss {
		terms[i] = b.str(s)
	}
	return b.term(ast.NewArray(terms...))
}

func (b *builder) labels(m map[string]string) *ast.Term {
	if len(m) == 0 {
		return emptyObject
	}
	items := make([][2]*ast.Term, 0, len(m))
	for k, v := range m {
		items = append(items, ast.Item(b.str(k), b.str(v)))
	}
	return b.object(items...)
}

// toAST builds the input document. timeTerm is input.time. The document
// and its objects of fixed shape are records: policyvm.Plain turns it into
// the ast.Object anything but the compiled plan needs.
func (in *Input) toAST(b *builder, timeTerm *ast.Term) (*ast.Term, error) {
	identity, err := b.identity(&in.Identity)
	if err != nil {
		return nil, fmt.Errorf("input.identity: %w", err)
	}
	request, err := in.Request.toAST(b)
	if err != nil {
		return nil, fmt.Errorf("input.request: %w", err)
	}
	usage, err := b.anyMap(in.Usage)
	if err != nil {
		return nil, fmt.Errorf("input.usage: %w", err)
	}
	return b.record(inputKeys,
		in.Findings.toAST(b),
		identity,
		request,
		b.str(in.RouteName),
		b.record(sourceKeys, b.str(in.Source.Address), b.int(in.Source.Port)),
		timeTerm,
		usage,
		versionTerm,
	), nil
}

// identity is input.identity, from the cache when the builder has one.
//
// A term the cache will keep is built with a builder of its own: a term
// taken from the request's block keeps the whole block alive, and with it
// that request's prompt text, request id and client address, for as long
// as the policy state lives. A full cache keeps nothing more, so its
// misses are built in the request's block.
func (b *builder) identity(id *Identity) (*ast.Term, error) {
	if b.ids == nil || !cacheable(id) {
		return id.toAST(b)
	}
	if t := b.ids.get(id); t != nil {
		return t, nil
	}
	if b.ids.full() {
		return id.toAST(b)
	}
	t, err := id.toAST(&builder{names: b.names})
	if err == nil {
		b.ids.put(id, t)
	}
	return t, err
}

func (id *Identity) toAST(b *builder) (*ast.Term, error) {
	jwt, err := b.anyMap(id.JWT)
	if err != nil {
		return nil, fmt.Errorf("jwt: %w", err)
	}
	var key *ast.Term // absent without a key
	if k := id.Key; k != nil {
		expires := ""
		if !k.ExpiresAt.IsZero() {
			expires = k.ExpiresAt.UTC().Format(time.RFC3339)
		}
		key = b.record(keyKeys,
			ast.InternedTerm(k.Expired),
			b.str(expires),
			b.str(k.ID),
			b.labels(k.Labels),
			b.str(k.Name),
			b.str(k.Owner),
		)
	}
	return b.record(identityKeys,
		b.str(id.App),
		ast.InternedTerm(id.Authenticated),
		jwt,
		key,
		b.labels(id.Labels),
		b.str(id.Principal),
		b.strings(id.Roles),
		b.str(id.Source),
		b.str(id.Subject),
		b.str(id.Team),
		b.str(id.Tenant),
		b.str(id.User),
	), nil
}

func (r *Request) toAST(b *builder) (*ast.Term, error) {
	params, err := b.params(r.Parameters)
	if err != nil {
		return nil, fmt.Errorf("parameters: %w", err)
	}
	requested := r.ModelRequested
	if requested == "" {
		requested = r.Model
	}
	return b.record(requestKeys,
		b.str(r.API),
		b.str(r.ID),
		b.int(r.Images),
		b.int(r.InputTokensEstimate),
		b.str(truncateUTF8(r.LastUserMessage, MaxLastUserMessage)),
		b.int(r.MaxTokens),
		b.int(r.MessageCount),
		b.str(r.Method),
		b.str(r.Model),
		b.str(requested),
		params,
		b.str(r.Path),
		ast.InternedTerm(r.Stream),
		r.Template.toAST(b),
		r.Tools.toAST(b),
	), nil
}

// noTools is input.request.tools for the common request without tools.
var noTools = ast.ObjectTerm(
	ast.Item(kPresent, ast.InternedTerm(false)),
	ast.Item(kCount, ast.IntNumberTerm(0)),
	ast.Item(kNames, emptyArray),
)

func (t *Tools) toAST(b *builder) *ast.Term {
	if !t.Present && t.Count == 0 && len(t.Names) == 0 {
		return noTools
	}
	return b.record(toolsKeys, b.int(t.Count), b.strings(t.Names), ast.InternedTerm(t.Present))
}

func (t *Template) toAST(b *builder) *ast.Term {
	if t.Name == "" {
		return noTemplate
	}
	return b.record(templateKeys, b.str(t.Name), b.str(t.Version))
}

// noPII is input.findings.pii when nothing was found, the common case;
// noFindings is input.findings when no detector found or scored anything.
var (
	noPII       = ast.ObjectTerm(ast.Item(kTypes, emptyArray), ast.Item(kCount, ast.IntNumberTerm(0)))
	noInjection = ast.ObjectTerm(
		ast.Item(kScore, ast.IntNumberTerm(0)),
		ast.Item(kVerdict, emptyString),
		ast.Item(kSignals, emptyArray),
	)
	noFindings = ast.ObjectTerm(ast.Item(kPII, noPII), ast.Item(kInjection, noInjection))
)

func (f *Findings) toAST(b *builder) *ast.Term {
	pii, injection := noPII, noInjection
	if len(f.PII.Types) > 0 || f.PII.Count != 0 {
		pii = b.record(piiKeys, b.int(f.PII.Count), b.strings(f.PII.Types))
	}
	if in := f.Injection; in.Score != 0 || in.Verdict != "" || len(in.Signals) > 0 {
		injection = b.record(injectionKeys, b.float(in.Score), b.strings(in.Signals), b.str(in.Verdict))
	}
	if pii == noPII && injection == noInjection {
		return noFindings
	}
	return b.record(findingsKeys, injection, pii)
}

// newTimeTerm is input.time for t. It only changes once a second, so the
// engine caches it.
func newTimeTerm(t time.Time) *ast.Term {
	t = t.UTC()
	return ast.ObjectTerm(
		ast.Item(kNow, ast.StringTerm(t.Format(time.RFC3339))),
		ast.Item(kUnix, ast.NumberTerm(json.Number(strconv.FormatInt(t.Unix(), 10)))),
		ast.Item(kWeekday, knownStrings[t.Weekday().String()]),
		ast.Item(kHour, ast.IntNumberTerm(t.Hour())),
	)
}

func (b *builder) anyMap(m map[string]any) (*ast.Term, error) {
	if len(m) == 0 {
		return emptyObject, nil
	}
	items := make([][2]*ast.Term, 0, len(m))
	for k, v := range m {
		t, err := b.any(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		items = append(items, ast.Item(b.str(k), t))
	}
	return b.object(items...), nil
}

// any converts the JSON-like values that decoders (encoding/json, YAML)
// produce without reflection, and falls back to OPA's conversion for the
// rest.
func (b *builder) any(v any) (*ast.Term, error) {
	switch x := v.(type) {
	case nil:
		return ast.NullTerm(), nil
	case string:
		return b.str(x), nil
	case bool:
		return ast.InternedTerm(x), nil
	case int:
		return b.int(x), nil
	case int64:
		return b.term(ast.Number(strconv.FormatInt(x, 10))), nil
	case float64:
		return b.float(x), nil
	case json.Number:
		return b.term(ast.Number(x)), nil
	case []string:
		return b.strings(x), nil
	case map[string]string:
		return b.labels(x), nil
	case map[string]any:
		return b.anyMap(x)
	case []any:
		terms := make([]*ast.Term, len(x))
		for i, e := range x {
			t, err := b.any(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			terms[i] = t
		}
		return b.term(ast.NewArray(terms...)), nil
	}
	val, err := ast.InterfaceToValue(v)
	if err != nil {
		return nil, err
	}
	return b.term(val), nil
}
