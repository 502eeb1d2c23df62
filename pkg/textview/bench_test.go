package textview

import (
	"strconv"
	"testing"

	"github.com/tidwall/sjson"
)

// BenchmarkEditAll redacts every message of a long conversation: one
// rebuild here against one sjson.SetBytes per field, which copies the
// whole body each time.
func BenchmarkEditAll(b *testing.B) {
	for _, n := range []int{10, 500} {
		body := chatBody(n)
		b.Run("view/"+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			var v View
			for b.Loop() {
				if err := v.Reset(ChatCompletions, body); err != nil {
					b.Fatal(err)
				}
				for i := 1; i < v.Len(); i++ {
					v.Set(i, "message: write to <EMAIL_ADDRESS> about the plan")
				}
				_ = v.Bytes()
			}
		})
		b.Run("sjson/"+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				out := body
				for i := 1; i <= n; i++ {
					var err error
					out, err = sjson.SetBytes(out, "messages."+strconv.Itoa(i)+".content", "message: write to <EMAIL_ADDRESS> about the plan")
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkRead is the cost of finding the text fields alone.
func BenchmarkRead(b *testing.B) {
	body := chatBody(20)
	b.ReportAllocs()
	var v View
	for b.Loop() {
		if err := v.Reset(ChatCompletions, body); err != nil {
			b.Fatal(err)
		}
	}
}
