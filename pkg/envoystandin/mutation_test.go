package envoystandin_test

import (
	"net/http"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// mutateHeaders applies mut in the request headers response, routing to a.
func mutateHeaders(mut *extprocv3.HeaderMutation) procFunc {
	return func(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
		if req.GetRequestHeaders() != nil {
			mut.SetHeaders = append(mut.SetHeaders, set("x-backend", "a"))
			return []*extprocv3.ProcessingResponse{answer(req, common(mut, nil, true))}, nil
		}
		return pass(req)
	}
}

func TestHeaderMutationRules(t *testing.T) {
	valueOnly := &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: "x-value", Value: "v"}}
	both := &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: "x-both", Value: "v", RawValue: []byte("v")}}
	appended := set("x-multi", "two")
	appended.Append = wrapperspb.Bool(true) //nolint:staticcheck // the deprecated flag Envoy still honours
	tests := []struct {
		name     string
		rules    string
		mut      *extprocv3.HeaderMutation
		status   int
		rejected int
		want     map[string]string // upstream header → value ("" absent)
		path     string
	}{
		{name: "routing headers ignored by default", mut: &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{
			set(":authority", "evil"), set("host", "evil"), set(":method", "PUT"), set(":scheme", "https")}},
			status: 200, rejected: 4, want: map[string]string{"X-Envoy-Custom": ""}},
		{name: "x-envoy ignored by default", mut: &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{set("x-envoy-custom", "1")}},
			status: 200, rejected: 1, want: map[string]string{"X-Envoy-Custom": ""}},
		{name: "allow_envoy", rules: "mutation_rules: { allow_envoy: true }",
			mut:    &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{set("x-envoy-custom", "1")}},
			status: 200, want: map[string]string{"X-Envoy-Custom": "1"}},
		{name: "path is settable", mut: &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{set(":path", "/v2")}},
			status: 200, path: "/v2"},
		{name: "removing pseudo headers and host never allowed", rules: "mutation_rules: { allow_all_routing: true }",
			mut:    &extprocv3.HeaderMutation{RemoveHeaders: []string{":path", "host", ":authority"}},
			status: 200, rejected: 3, path: "/p"},
		{name: "remove and replace", mut: &extprocv3.HeaderMutation{RemoveHeaders: []string{"x-client-key"},
			SetHeaders: []*corev3.HeaderValueOption{set("x-keep", "new")}},
			status: 200, want: map[string]string{"X-Client-Key": "", "X-Keep": "new"}},
		{name: "append", mut: &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{appended}},
			status: 200, want: map[string]string{"X-Multi": "one,two"}},
		{name: "value without raw_value is empty", mut: &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{valueOnly}},
			status: 200, want: map[string]string{"X-Value": ""}},
		{name: "value and raw_value is an error", mut: &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{both}},
			status: 500, rejected: 1},
		{name: "disallow_is_error", rules: "mutation_rules: { disallow_is_error: true }",
			mut:    &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{set("host", "evil")}},
			status: 500, rejected: 1},
		{name: "allow list", rules: `mutation_rules: { disallow_all: true, allow_expression: { regex: "x-backend|x-sluice-.*" } }`,
			mut:    &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{set("x-sluice-id", "1"), set("x-other", "1")}},
			status: 200, rejected: 1, want: map[string]string{"X-Sluice-Id": "1", "X-Other": ""}},
		{name: "disallow expression wins", rules: `mutation_rules: { allow_expression: { regex: "x-.*" }, disallow_expression: { regex: "x-secret" } }`,
			mut:    &extprocv3.HeaderMutation{SetHeaders: []*corev3.HeaderValueOption{set("x-secret", "1")}},
			status: 200, rejected: 1, want: map[string]string{"X-Secret": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, records, _, a, _ := setup(t, tt.rules, mutateHeaders(tt.mut), nil)
			resp, body := post(t, url+"/p", "{}", "x-client-key", "k", "x-keep", "old", "x-multi", "one")
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("status %v %q, want %d", resp, body, tt.status)
			}
			rec := record(t, records)
			if rec.Counters.RejectedHeaderMutations != tt.rejected {
				t.Errorf("rejected = %d, want %d", rec.Counters.RejectedHeaderMutations, tt.rejected)
			}
			if tt.status != http.StatusOK {
				return
			}
			got := a.requests()[0]
			if got.host != "a.example.com" || got.method != http.MethodPost {
				t.Errorf("upstream %s %s", got.method, got.host)
			}
			if tt.path != "" && got.path != tt.path {
				t.Errorf("path = %q, want %q", got.path, tt.path)
			}
			for k, v := range tt.want {
				if g := joinValues(got.header[k]); g != v {
					t.Errorf("upstream %s = %q, want %q", k, g, v)
				}
			}
		})
	}
}

func joinValues(vs []string) string {
	out := ""
	for i, v := range vs {
		if i > 0 {
			out += ","
		}
		out += v
	}
	return out
}
