package gemini

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sluice-gw/sluice/pkg/translate"
)

// fixedTranslator returns a translator whose clock and ids are
// deterministic, so output can be compared byte for byte.
func fixedTranslator() translate.Translator {
	var n atomic.Int64
	return New(
		WithClock(func() time.Time { return time.Unix(1700000000, 0) }),
		WithIDs(func() string { return fmt.Sprintf("ID%d", n.Add(1)) }),
	)
}
