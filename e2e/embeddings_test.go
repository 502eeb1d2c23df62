package e2e

import (
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	fp "github.com/sluice-gw/sluice/e2e/fakeprovider"
)

// A batch of inputs comes back in order, with each provider's vectors
// exactly, as floats or as OpenAI's base64 encoding.
func TestEmbeddings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, m := range embedders {
		for _, format := range []openai.EmbeddingNewParamsEncodingFormat{openai.EmbeddingNewParamsEncodingFormatFloat, openai.EmbeddingNewParamsEncodingFormatBase64} {
			t.Run(m.backend+"/"+string(format), func(t *testing.T) {
				t.Parallel()
				marker := newMarker()
				inputs := []string{"alpha " + marker, "beta " + marker, "gamma ✓ " + marker}
				params := openai.EmbeddingNewParams{
					Model:          m.model,
					Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: inputs},
					EncodingFormat: format,
				}
				dims := fp.DefaultDimensions
				if format == openai.EmbeddingNewParamsEncodingFormatFloat {
					dims = 6
					params.Dimensions = openai.Int(int64(dims))
				}
				resp, err := e.client.Embeddings.New(ctxFor(t), params)
				if err != nil {
					t.Fatalf("embeddings via %s: %v", m.backend, describe(err))
				}
				if len(resp.Data) != len(inputs) {
					t.Fatalf("got %d embeddings, want %d: %s", len(resp.Data), len(inputs), resp.RawJSON())
				}
				for i, d := range resp.Data {
					if d.Index != int64(i) {
						t.Errorf("data[%d].index = %d", i, d.Index)
					}
					checkVector(t, i, d.Embedding, fp.Vector(inputs[i], dims))
				}
				if m.reportsUsage && resp.Usage.PromptTokens != int64(fp.EmbeddingTokens*len(inputs)) {
					t.Errorf("usage.prompt_tokens = %d, want %d", resp.Usage.PromptTokens, fp.EmbeddingTokens*len(inputs))
				}
				r := e.upstream(t, m.backend, marker)
				checkEmbeddingRoute(t, m, r.Path)
				checkCredential(t, m.backend, r)
			})
		}
	}
}

func checkVector(t *testing.T, i int, got []float64, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("embedding %d has %d dimensions, want %d", i, len(got), len(want))
		return
	}
	for j := range got {
		if float32(got[j]) != want[j] {
			t.Errorf("embedding %d = %v, want %v (the fake's vector for input %d)", i, got, want, i)
			return
		}
	}
}

func checkEmbeddingRoute(t *testing.T, m embedder, path string) {
	t.Helper()
	var want []string
	switch m.backend {
	case fp.BackendOpenAI:
		want = []string{"/v1/embeddings"}
	case fp.BackendAzure:
		want = []string{"/openai/deployments/" + m.deployment + "/embeddings"}
	case fp.BackendGemini:
		for _, v := range []string{"/v1beta/", "/v1/"} {
			want = append(want, v+"models/"+m.upstream+":batchEmbedContents")
		}
	}
	for _, w := range want {
		if path == w {
			return
		}
	}
	t.Errorf("%s embeddings path = %q, want %s", m.backend, path, strings.Join(want, " or "))
}
