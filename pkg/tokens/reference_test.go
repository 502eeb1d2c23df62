package tokens

import (
	"sync"
	"testing"

	"github.com/pkoukk/tiktoken-go"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// The reference is tiktoken-go, a line-by-line port of OpenAI's tiktoken
// that is correct but too slow for the request path. Tests compare the
// counting scanners against it.
var reference = sync.OnceValue(func() map[Encoding]*tiktoken.Tiktoken {
	tiktoken.SetBpeLoader(tiktoken_loader.NewOfflineLoader())
	out := map[Encoding]*tiktoken.Tiktoken{}
	for _, e := range []Encoding{O200k, CL100k} {
		tk, err := tiktoken.GetEncoding(e.String())
		if err != nil {
			panic(err)
		}
		out[e] = tk
	}
	return out
})

// referenceCount counts s with tiktoken-go.
func referenceCount(t testing.TB, e Encoding, s string) int {
	t.Helper()
	return len(reference()[e].EncodeOrdinary(s))
}
