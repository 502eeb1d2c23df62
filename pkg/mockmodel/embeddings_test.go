package mockmodel

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"net/http"
	"testing"

	"github.com/tidwall/gjson"
)

func TestEmbeddings(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		count int
		dims  int
	}{
		{"string", `{"model":"e","input":"héllo"}`, 1, 8},
		{"strings", `{"model":"e","input":["a","b","c"]}`, 3, 8},
		{"tokens", `{"model":"e","input":[1,2,3]}`, 1, 8},
		{"token arrays", `{"model":"e","input":[[1,2],[3]]}`, 2, 8},
		{"dimensions", `{"model":"e","input":"x","dimensions":32}`, 1, 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, http.MethodPost, "/v1/embeddings", tt.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			data := gjson.Get(body, "data").Array()
			if len(data) != tt.count {
				t.Fatalf("got %d embeddings, want %d", len(data), tt.count)
			}
			for i, d := range data {
				vec := d.Get("embedding").Array()
				if d.Get("index").Int() != int64(i) || len(vec) != tt.dims {
					t.Errorf("item %d: index %d, %d dims", i, d.Get("index").Int(), len(vec))
				}
				var norm float64
				for _, v := range vec {
					norm += v.Float() * v.Float()
				}
				if math.Abs(norm-1) > 1e-4 {
					t.Errorf("item %d: norm² = %v, want 1", i, norm)
				}
			}
			if u := gjson.Get(body, "usage"); u.Get("prompt_tokens").Int() < 1 || u.Get("total_tokens").Int() != u.Get("prompt_tokens").Int() {
				t.Errorf("usage %s", u.Raw)
			}
		})
	}
}

func TestEmbeddingsAreDeterministicAndDistinct(t *testing.T) {
	_, a := do(t, http.MethodPost, "/v1/embeddings", `{"model":"e","input":["same","other"]}`)
	_, b := do(t, http.MethodPost, "/v1/embeddings", `{"model":"e","input":"same"}`)
	if x, y := gjson.Get(a, "data.0.embedding").Raw, gjson.Get(b, "data.0.embedding").Raw; x != y {
		t.Errorf("same input embeds differently: %s vs %s", x, y)
	}
	if gjson.Get(a, "data.0.embedding").Raw == gjson.Get(a, "data.1.embedding").Raw {
		t.Error("different inputs embed equally")
	}
}

func TestEmbeddingsBase64(t *testing.T) {
	_, plain := do(t, http.MethodPost, "/v1/embeddings", `{"model":"e","input":"x"}`)
	_, enc := do(t, http.MethodPost, "/v1/embeddings", `{"model":"e","input":"x","encoding_format":"base64"}`)
	raw, err := base64.StdEncoding.DecodeString(gjson.Get(enc, "data.0.embedding").String())
	if err != nil {
		t.Fatal(err)
	}
	want := gjson.Get(plain, "data.0.embedding").Array()
	if len(raw) != 4*len(want) {
		t.Fatalf("decoded %d bytes for %d floats", len(raw), len(want))
	}
	for i, w := range want {
		got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		if float64(got) != float64(float32(w.Float())) {
			t.Errorf("[%d] = %v, want %v", i, got, w.Float())
		}
	}
}

func TestEmbeddingsErrors(t *testing.T) {
	tests := []struct{ name, body, param string }{
		{"no model", `{"input":"x"}`, "model"},
		{"no input", `{"model":"e"}`, "input"},
		{"empty string", `{"model":"e","input":""}`, "input"},
		{"empty array", `{"model":"e","input":[]}`, "input"},
		{"mixed tokens", `{"model":"e","input":[1,"a"]}`, "input"},
		{"empty item", `{"model":"e","input":["a",""]}`, "input[1]"},
		{"zero dimensions", `{"model":"e","input":"x","dimensions":0}`, "dimensions"},
		{"bad encoding", `{"model":"e","input":"x","encoding_format":"hex"}`, "encoding_format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, http.MethodPost, "/v1/embeddings", tt.body)
			if status != http.StatusBadRequest || gjson.Get(body, "error.param").String() != tt.param {
				t.Errorf("status %d body %s, want 400 naming %q", status, body, tt.param)
			}
		})
	}
}
