package injection

import (
	"strings"
	"testing"
)

func TestCompilePhrasesErrors(t *testing.T) {
	classes := map[string]string{"ignore": "ignore forget"}
	tests := map[string]string{
		"":             "empty rule",
		"~x ignore":    `rule "~x ignore": bad gap "~x"`,
		"@nope":        `rule "@nope": unknown class "nope"`,
		"ignore a1":    `rule "ignore a1": word "a1": one to 40 bytes of letters`,
		"ignore a|":    `rule "ignore a|": word "": one to 40 bytes of letters`,
		"ignore ~-1 a": `rule "ignore ~-1 a": bad gap "~-1"`,
	}
	for expr, want := range tests {
		t.Run(expr, func(t *testing.T) {
			_, err := compilePhrases(classes, []struct {
				sig  signal
				expr string
			}{{sigOverride, expr}})
			if err == nil || err.Error() != want {
				t.Errorf("err = %v, want %q", err, want)
			}
		})
	}
}

func TestPhraseGaps(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"ignore the rules", true},
		{"ignore all of the rules", true},
		{"ignore a b c d rules", false}, // four words between: over the gap of 3
		{"rules ignore", false},
		{"IGNORE, the... RULES!", false}, // the index reads lower-cased text
	}
	p, err := compilePhrases(map[string]string{"ignore": "ignore", "rules": "rules"},
		[]struct {
			sig  signal
			expr string
		}{{sigOverride, "@ignore ~3 @rules"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			var found signals
			p.match(p.lookup(nil, []byte(tt.text)), &found)
			if got := found.has(sigOverride); got != tt.want {
				t.Errorf("match(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
	var found signals
	p.match(p.lookup(nil, []byte(strings.ToLower("IGNORE, the... RULES!"))), &found)
	if !found.has(sigOverride) {
		t.Error("punctuation between the words must not break a match")
	}
}
