package tokens

import "strings"

// Family is whose accounting rules a model follows.
type Family int

// The families. OpenAI's counts follow its published tokenizers and
// rules; the others' tokenizers are not public and are approximated.
const (
	// OpenAI models (also when served by Azure OpenAI).
	OpenAI Family = iota + 1
	// Anthropic's Claude models (also when served by Bedrock or Vertex).
	Anthropic
	// Gemini is Google's Gemini models.
	Gemini
	// Generic is every other model (Llama, Mistral, Nova ... behind an
	// OpenAI-compatible server or Bedrock): counted like an OpenAI o200k
	// model, with a wider error bound.
	Generic
)

func (f Family) String() string {
	switch f {
	case OpenAI:
		return "openai"
	case Anthropic:
		return "anthropic"
	case Gemini:
		return "gemini"
	case Generic:
		return "generic"
	}
	return "unknown"
}

// Profile is how one model's input is counted: which encoding, which
// message framing, how tools and images are charged, and how far the
// result may be from what the provider reports.
type Profile struct {
	// Prefix is the row of the model table that matched.
	Prefix   string
	Family   Family
	Encoding Encoding
	// Factor scales text counts for families whose tokenizer is not
	// public; it is 1 for OpenAI.
	Factor float64
	// Bound is the documented relative error of text counts: 0 where
	// the count is the provider's own tokenizer.
	Bound float64
	// Image is how image parts are charged.
	Image ImageRule
}

// Exact reports whether text is counted with the provider's own
// tokenizer and rules.
func (p Profile) Exact() bool { return p.Bound == 0 }

// The calibration of the approximated families; README.md gives the
// sources and the measured errors.
const (
	anthropicFactor = 1.15
	anthropicBound  = 0.25
	geminiFactor    = 1.0
	geminiBound     = 0.25
	genericBound    = 0.35
)

// OpenAI's image rules by model, from its vision guide: base and tile
// tokens for the tile-charged models, a multiplier for patch-charged ones.
var (
	tiles85   = ImageRule{Kind: ImageTiles, Base: 85, Tile: 170}
	tiles4oMn = ImageRule{Kind: ImageTiles, Base: 2833, Tile: 5667}
	tilesO    = ImageRule{Kind: ImageTiles, Base: 75, Tile: 150}
	tiles5    = ImageRule{Kind: ImageTiles, Base: 70, Tile: 140}
	tilesCUA  = ImageRule{Kind: ImageTiles, Base: 65, Tile: 129}
	patchMini = ImageRule{Kind: ImagePatches, Multiplier: 1.62}
	patchNano = ImageRule{Kind: ImagePatches, Multiplier: 2.46}
	patchO4   = ImageRule{Kind: ImagePatches, Multiplier: 1.72}
)

// modelTable maps model-name prefixes to profiles. The first matching
// row wins, so longer prefixes come before shorter ones.
var modelTable = []Profile{
	{Prefix: "gpt-4o-mini", Family: OpenAI, Encoding: O200k, Image: tiles4oMn},
	{Prefix: "gpt-4o", Family: OpenAI, Encoding: O200k, Image: tiles85},
	{Prefix: "chatgpt-4o", Family: OpenAI, Encoding: O200k, Image: tiles85},
	{Prefix: "gpt-4.1-mini", Family: OpenAI, Encoding: O200k, Image: patchMini},
	{Prefix: "gpt-4.1-nano", Family: OpenAI, Encoding: O200k, Image: patchNano},
	{Prefix: "gpt-4.1", Family: OpenAI, Encoding: O200k, Image: tiles85},
	{Prefix: "gpt-4.5", Family: OpenAI, Encoding: O200k, Image: tiles85},
	{Prefix: "gpt-5-mini", Family: OpenAI, Encoding: O200k, Image: patchMini},
	{Prefix: "gpt-5-nano", Family: OpenAI, Encoding: O200k, Image: patchNano},
	{Prefix: "gpt-5", Family: OpenAI, Encoding: O200k, Image: tiles5},
	{Prefix: "gpt-oss", Family: OpenAI, Encoding: O200k, Image: tiles85},
	{Prefix: "o4-mini", Family: OpenAI, Encoding: O200k, Image: patchO4},
	{Prefix: "o1", Family: OpenAI, Encoding: O200k, Image: tilesO},
	{Prefix: "o3", Family: OpenAI, Encoding: O200k, Image: tilesO},
	{Prefix: "computer-use", Family: OpenAI, Encoding: O200k, Image: tilesCUA},
	{Prefix: "text-embedding-3", Family: OpenAI, Encoding: CL100k},
	{Prefix: "text-embedding-ada", Family: OpenAI, Encoding: CL100k},
	{Prefix: "gpt-4", Family: OpenAI, Encoding: CL100k, Image: tiles85},
	{Prefix: "gpt-3.5", Family: OpenAI, Encoding: CL100k},
	{Prefix: "gpt-35", Family: OpenAI, Encoding: CL100k}, // Azure's spelling
}

// familyTable matches names that carry a vendor anywhere in them
// ("claude-sonnet-4-5", "us.anthropic.claude-3-7-sonnet-...",
// "models/gemini-2.5-flash").
var familyTable = []struct {
	contains string
	profile  Profile
}{
	{"claude", Profile{Prefix: "claude", Family: Anthropic, Encoding: O200k,
		Factor: anthropicFactor, Bound: anthropicBound, Image: ImageRule{Kind: ImageArea}}},
	{"gemini-1", Profile{Prefix: "gemini-1", Family: Gemini, Encoding: O200k,
		Factor: geminiFactor, Bound: geminiBound, Image: ImageRule{Kind: ImageFlat, Base: 258}}},
	{"gemini-2", Profile{Prefix: "gemini-2", Family: Gemini, Encoding: O200k,
		Factor: geminiFactor, Bound: geminiBound, Image: ImageRule{Kind: ImageGeminiTiles, Tile: 258}}},
	{"gemini", Profile{Prefix: "gemini", Family: Gemini, Encoding: O200k,
		Factor: geminiFactor, Bound: geminiBound, Image: ImageRule{Kind: ImageFlat, Base: 1120}}},
}

var genericProfile = Profile{Prefix: "", Family: Generic, Encoding: O200k,
	Factor: 1, Bound: genericBound, Image: tiles85}

// ForModel returns the profile for an upstream model name. Matching is
// case-insensitive and ignores a leading "provider/" path; an unknown
// model gets the Generic profile.
func ForModel(model string) Profile {
	m := strings.ToLower(model)
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	for _, p := range modelTable {
		if strings.HasPrefix(m, p.Prefix) {
			p.Factor = 1
			return p
		}
	}
	for _, f := range familyTable {
		if strings.Contains(m, f.contains) {
			return f.profile
		}
	}
	return genericProfile
}
