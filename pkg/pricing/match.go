package pricing

import (
	"regexp"
	"strings"

	"github.com/sluice-gw/sluice/pkg/translate"
)

// bedrockGeo are the prefixes of Bedrock cross-region inference profiles
// ("us.anthropic.claude-..."); the profile is billed as the model it names.
var bedrockGeo = []string{"us.", "us-gov.", "eu.", "apac.", "jp.", "au.", "ca.", "global."}

var (
	// bedrockVersion is Bedrock's model version suffix: "-v1:0", "-v2", ":0".
	bedrockVersion = regexp.MustCompile(`(-v\d+(:\d+)?|:\d+)$`)
	// snapshotDate is a dated snapshot suffix: "-2024-08-06" (OpenAI),
	// "-20250929" (Anthropic), "@20241022" (Vertex).
	snapshotDate = regexp.MustCompile(`[-@]\d{4}-?\d{2}-?\d{2}$`)
)

// candidates lists the names a model is looked up under, most specific
// first. Names are compared in lower case.
func candidates(model string, provider translate.Provider) []string {
	name := normalize(model)
	out := []string{name}
	add := func(n string) {
		if n != "" && n != out[len(out)-1] {
			out = append(out, n)
		}
	}
	add(stripDecorations(name, provider))
	base := out[len(out)-1]
	if provider == translate.Bedrock {
		base = bedrockVersion.ReplaceAllString(base, "")
	}
	add(snapshotDate.ReplaceAllString(base, ""))
	return out
}

// stripDecorations removes what a provider wraps around a model name without
// changing which model, and so which price, it is.
func stripDecorations(name string, provider translate.Provider) string {
	switch provider {
	case translate.Bedrock:
		// "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-..."
		if i := strings.LastIndexByte(name, '/'); i >= 0 && strings.HasPrefix(name, "arn:") {
			name = name[i+1:]
		}
		for _, geo := range bedrockGeo {
			if rest, ok := strings.CutPrefix(name, geo); ok {
				return rest
			}
		}
	case translate.Gemini:
		name = strings.TrimPrefix(name, "models/")
	}
	return name
}

func normalize(name string) string { return strings.ToLower(strings.TrimSpace(name)) }
