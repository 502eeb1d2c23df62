package translatetest

import (
	"errors"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/sse"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// CheckEvents parses translated SSE output and fails unless every data
// payload is valid JSON (or [DONE]) and the output ends on an event boundary.
func CheckEvents(t testing.TB, out []byte) {
	t.Helper()
	var p sse.Parser
	err := p.Feed(out, func(ev sse.Event) error {
		if string(ev.Data) == "[DONE]" {
			return nil
		}
		if !gjson.ValidBytes(ev.Data) {
			return fmt.Errorf("event data is not valid JSON: %q", ev.Data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Pending() {
		t.Fatalf("output ends inside an event: %q", out)
	}
}

// CheckUTF8 fails unless out is valid UTF-8: a translator that re-encodes
// provider text must never pass on bytes a client cannot decode.
func CheckUTF8(t testing.TB, out []byte) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Fatalf("output is not valid UTF-8: %q", out)
	}
}

// CheckUpstream fails unless a request translation either failed with a
// *gwerror.Error or produced a valid JSON body: what a request fuzz target
// asks of any input.
func CheckUpstream(t testing.TB, up *translate.Upstream, err error) {
	t.Helper()
	if checkError(t, err) {
		checkJSON(t, up.Body)
	}
}

// CheckResponse is CheckUpstream for a response translation.
func CheckResponse(t testing.TB, resp *translate.Response, err error) {
	t.Helper()
	if checkError(t, err) {
		checkJSON(t, resp.Body)
	}
}

// checkError fails unless err is nil or a *gwerror.Error, and reports
// whether it is nil.
func checkError(t testing.TB, err error) bool {
	t.Helper()
	if err == nil {
		return true
	}
	var ge *gwerror.Error
	if !errors.As(err, &ge) {
		t.Fatalf("error is not a *gwerror.Error: %v", err)
	}
	return false
}

func checkJSON(t testing.TB, body []byte) {
	t.Helper()
	if !gjson.ValidBytes(body) {
		t.Fatalf("translated body is not valid JSON:\n%s", body)
	}
}
