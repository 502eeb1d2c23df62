package injection

// signal is one heuristic; a text's signals are a bit set.
type signal uint8

// The heuristics, in the order Result.Signals lists them. The calibration
// weights in calibration_gen.go follow the same order.
const (
	sigOverride     signal = iota // "ignore all previous instructions" and its translations
	sigContextReset               // "forget everything", "vergiss alles"
	sigNewInstr                   // "new task", "from now on"
	sigRoleplay                   // DAN, developer mode, "you are now", "pretend you have no restrictions"
	sigExtraction                 // "repeat the text above", "reveal your system prompt"
	sigDelimiter                  // fake chat-template and system markers
	sigBase64                     // a base64 run that decodes to text
	sigHex                        // a hex run that decodes to text
	sigZeroWidth                  // invisible characters against letters
	sigUnicodeTags                // tag characters (hidden ASCII)
	sigHomoglyph                  // Cyrillic or Greek look-alikes inside Latin words
	numSignals
)

var signalNames = [numSignals]string{
	sigOverride:     "override_phrase",
	sigContextReset: "context_reset",
	sigNewInstr:     "new_instructions",
	sigRoleplay:     "roleplay_jailbreak",
	sigExtraction:   "prompt_extraction",
	sigDelimiter:    "delimiter",
	sigBase64:       "base64_payload",
	sigHex:          "hex_payload",
	sigZeroWidth:    "zero_width",
	sigUnicodeTags:  "unicode_tags",
	sigHomoglyph:    "homoglyph",
}

// SignalNames lists every signal a Result can carry, in order.
func SignalNames() []string { return append([]string(nil), signalNames[:]...) }

// signals is a set of signals.
type signals uint32

func (s *signals) set(sig signal)     { *s |= 1 << sig }
func (s signals) has(sig signal) bool { return s&(1<<sig) != 0 }

// names lists the set's names; nil when it is empty, so a clean text
// costs no allocation.
func (s signals) names() []string {
	if s == 0 {
		return nil
	}
	out := make([]string, 0, 4)
	for sig := range numSignals {
		if s.has(sig) {
			out = append(out, signalNames[sig])
		}
	}
	return out
}
