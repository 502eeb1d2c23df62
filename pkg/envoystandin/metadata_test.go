package envoystandin_test

import (
	"net/http"
	"testing"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sluice-gw/sluice/pkg/envoystandin"
)

const metadataCfg = bufferedModes + `
metadata_options:
  forwarding_namespaces: { untyped: [envoy.filters.http.jwt_authn] }
  receiving_namespaces: { untyped: [sluice] }
request_attributes: [source.address, request.id, xds.route_name, connection.uri_san_peer_certificate]
response_attributes: [response.code, xds.route_name]
`

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMetadataAndAttributes(t *testing.T) {
	dm := mustStruct(t, map[string]any{
		"sluice": map[string]any{"total_tokens": 42},
		"other":  map[string]any{"x": 1},
	})
	fn := func(req *extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
		r := answer(req, nil)
		if req.GetResponseBody() != nil {
			r.DynamicMetadata = dm
		}
		return []*extprocv3.ProcessingResponse{r}, nil
	}
	proc, procAddr := startProc(t, fn)
	a := startUpstream(t, nil)
	claims := mustStruct(t, map[string]any{"sub": "alice"})
	url, records := front(t, testConfig(t, metadataCfg), map[string]string{"proc": procAddr, "a": a.addr(), "b": a.addr()},
		func(o *envoystandin.Options) {
			o.Downstream = func(*http.Request) envoystandin.DownstreamInfo {
				return envoystandin.DownstreamInfo{
					FilterMetadata: map[string]*structpb.Struct{"envoy.filters.http.jwt_authn": claims, "not.forwarded": claims},
					PeerURISAN:     "spiffe://example.org/app",
				}
			}
		})
	if resp, body := post(t, url, "{}", "x-backend", "a"); resp == nil || resp.StatusCode != 200 {
		t.Fatalf("got %v %q", resp, body)
	}
	rec := record(t, records)
	if got := rec.DynamicMetadata["sluice"].GetFields()["total_tokens"].GetNumberValue(); got != 42 {
		t.Errorf("sluice:total_tokens = %v", got)
	}
	if _, ok := rec.DynamicMetadata["other"]; ok {
		t.Error("namespace `other` was not dropped")
	}
	msgs := proc.messages()
	for i, m := range msgs {
		attrs := m.GetAttributes()["envoy.filters.http.ext_proc"].GetFields()
		switch i {
		case 0:
			if attrs["source.address"].GetStringValue() == "" || attrs["request.id"].GetStringValue() == "" ||
				attrs["xds.route_name"].GetStringValue() != "a" ||
				attrs["connection.uri_san_peer_certificate"].GetStringValue() != "spiffe://example.org/app" {
				t.Errorf("request attributes = %v", attrs)
			}
			if m.GetProtocolConfig().GetRequestBodyMode().String() != "BUFFERED" {
				t.Errorf("protocol_config = %v", m.GetProtocolConfig())
			}
		case 2:
			if attrs["response.code"].GetNumberValue() != 200 || attrs["xds.route_name"].GetStringValue() != "a" {
				t.Errorf("response attributes = %v", attrs)
			}
		default:
			if len(attrs) != 0 {
				t.Errorf("message %d (%s) carries attributes %v", i, kind(m), attrs)
			}
		}
		if i > 0 && m.GetProtocolConfig() != nil {
			t.Errorf("message %d carries protocol_config", i)
		}
		fm := m.GetMetadataContext().GetFilterMetadata()
		if fm["envoy.filters.http.jwt_authn"].GetFields()["sub"].GetStringValue() != "alice" || len(fm) != 1 {
			t.Errorf("message %d metadata_context = %v", i, fm)
		}
	}
}
