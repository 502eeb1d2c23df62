package cache

import "testing"

// TestKeysDoNotMove pins the exact keys of a few requests: plain text,
// escapes and non-ASCII, content parts, members in another order with
// ignored ones among them. A reader change that moved them would turn
// every stored entry into a miss after an upgrade; the differential
// tests cannot see that, since both sides move together. These values
// are the keys computed before the reader used rawjson's scanner.
func TestKeysDoNotMove(t *testing.T) {
	s := Scope{Tenant: "acme", Model: "gpt-4o"}
	for _, tt := range []struct{ body, key string }{
		{`{"model":"gpt-4o","messages":[{"role":"user","content":"What is the capital of France?"}]}`,
			"8073553ebc56bdb85e1bc0fdd9ca2fdf31e29a5fac99874d21664a033823f772"},
		{`{"model":"gpt-4o","temperature":0,"messages":[{"role":"system","content":"Say \"hi\"\nthen stop."},{"role":"user","content":"caf\u00e9 ☕"}]}`,
			"28be8d796749e05224c21d50e11221412beca86051dcaf324891428c5a6ccbd8"},
		{`{"messages":[{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"role":"user"}],"model":"gpt-4o","user":"u1","stream":true}`,
			"b1317b26cc0232efd01b89a90b281e8a020cc27c17a647755db63424d5d3bf57"},
	} {
		if got := ComputeKey(s, []byte(tt.body)).Exact; got != tt.key {
			t.Errorf("%.60s: key %s, want %s", tt.body, got, tt.key)
		}
	}
}
