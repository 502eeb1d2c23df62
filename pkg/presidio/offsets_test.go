package presidio

import (
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/pii"
)

func TestToBytes(t *testing.T) {
	text := []byte("aé🙂\xffz")
	// Code points: a é 🙂 \xff z at bytes 0 1 3 7 8; the end is byte 9.
	got := toBytes(text, []pii.Finding{
		{Type: "A", Start: 0, End: 1}, {Type: "B", Start: 1, End: 3}, {Type: "C", Start: 3, End: 5},
		{Type: "D", Start: 4, End: 6}, {Type: "E", Start: 2, End: 2},
	})
	want := []pii.Finding{{Type: "A", Start: 0, End: 1}, {Type: "B", Start: 1, End: 7}, {Type: "C", Start: 7, End: 9}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if utf8.Valid(text) {
		t.Fatal("the text should hold invalid UTF-8")
	}
}
