package mockmodel

import (
	"encoding/json"
	"testing"

	"github.com/tidwall/gjson"
)

func TestSampleJSON(t *testing.T) {
	tests := []struct{ name, schema, want string }{
		{"missing", ``, `{}`},
		{"empty object", `{"type":"object"}`, `{}`},
		{"all kinds", `{"type":"object","properties":{"s":{"type":"string"},"n":{"type":"number","minimum":2.5},"i":{"type":"integer"},"b":{"type":"boolean"},"a":{"type":"array","items":{"type":"integer"}},"z":{"type":"null"}}}`, `{"s":"mock","n":2.5,"i":0,"b":true,"a":[0],"z":null}`},
		{"enum const default", `{"properties":{"e":{"enum":["x","y"]},"c":{"const":7},"d":{"type":"string","default":"dflt"}}}`, `{"e":"x","c":7,"d":"dflt"}`},
		{"nullable type list", `{"type":["null","string"]}`, `"mock"`},
		{"anyOf skips null", `{"anyOf":[{"type":"null"},{"type":"boolean"}]}`, `true`},
		{"formats", `{"type":"object","properties":{"t":{"type":"string","format":"date-time"},"u":{"type":"string","format":"uuid"}}}`, `{"t":"2024-01-01T00:00:00Z","u":"00000000-0000-4000-8000-000000000000"}`},
		{"local ref", `{"type":"object","properties":{"home":{"$ref":"#/$defs/Addr"}},"$defs":{"Addr":{"type":"object","properties":{"zip":{"type":"string"}}}}}`, `{"home":{"zip":"mock"}}`},
		{"recursive ref stops", `{"type":"object","properties":{"next":{"$ref":"#"}}}`, ``},
		{"properties not an object", `{"type":"object","properties":[{"type":"string"}]}`, `{}`},
		{"escaped key", `{"type":"object","properties":{"a\"b":{"type":"integer","exclusiveMinimum":3}}}`, `{"a\"b":4}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SampleJSON(gjson.Parse(tt.schema))
			if !json.Valid(got) {
				t.Fatalf("invalid JSON %s", got)
			}
			if tt.want != "" && string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func FuzzSampleJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"type":"object","properties":{"a":{"type":"array","items":{"$ref":"#"}}}}`, `{"anyOf":[{"type":"null"}]}`, `{"enum":[]}`, `[1,2]`, `"str"`, `{"properties":"x"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, schema string) {
		if !json.Valid([]byte(schema)) {
			t.Skip()
		}
		if got := SampleJSON(gjson.Parse(schema)); !json.Valid(got) {
			t.Fatalf("SampleJSON(%s) = %s, not JSON", schema, got)
		}
	})
}
