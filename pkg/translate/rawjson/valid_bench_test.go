package rawjson

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// A ~2 KB chat request, most of it message text.
var benchBody = []byte(`{"model":"gpt-4o-mini","temperature":0.2,"max_tokens":256,"stream":false,` +
	`"messages":[{"role":"system","content":"You are a careful assistant."},` +
	`{"role":"user","content":"` + strings.Repeat("Explain the ext_proc protocol. ", 60) + `"}]}`)

func BenchmarkValid(b *testing.B) {
	b.Run("rawjson", func(b *testing.B) {
		b.SetBytes(int64(len(benchBody)))
		for b.Loop() {
			if !Valid(benchBody) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("gjson", func(b *testing.B) {
		b.SetBytes(int64(len(benchBody)))
		for b.Loop() {
			if !gjson.ValidBytes(benchBody) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("members", func(b *testing.B) {
		b.SetBytes(int64(len(benchBody)))
		b.ReportAllocs()
		var buf [16]Member
		for b.Loop() {
			if _, _, ok := Members(buf[:0], benchBody); !ok {
				b.Fatal("invalid")
			}
		}
	})
}

// BenchmarkEachElement walks the messages of a checked body, as the parse
// stage summarises them.
func BenchmarkEachElement(b *testing.B) {
	msgs, _, _ := Lookup(benchBody, "messages")
	b.SetBytes(int64(len(msgs.Raw)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		EachElement(msgs, func(int) {}, func(k string, _ gjson.Result) {
			if k == "content" {
				n++
			}
		})
		if n != 2 {
			b.Fatal(n)
		}
	}
}
