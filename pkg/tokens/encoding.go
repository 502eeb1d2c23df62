package tokens

import (
	"fmt"
	"sync"
)

// Encoding names one of OpenAI's published byte-pair encodings.
type Encoding int

// The encodings Sluice ships. Both are embedded in the binary by the
// offline loader, so counting never touches the network.
const (
	// O200k is o200k_base: gpt-4o, gpt-4.1, gpt-4.5, the o-series and gpt-5.
	O200k Encoding = iota + 1
	// CL100k is cl100k_base: gpt-4, gpt-3.5-turbo, text-embedding-3 and
	// text-embedding-ada-002.
	CL100k
)

func (e Encoding) String() string {
	switch e {
	case O200k:
		return "o200k_base"
	case CL100k:
		return "cl100k_base"
	}
	return "unknown"
}

// bpeFile is the name the offline loader files each encoding under; it
// reads only the base name of what it is given.
func (e Encoding) bpeFile() string { return e.String() + ".tiktoken" }

// Building a table takes up to 0.2 s, so none is built at package init:
// the first count (or Warm) for an encoding builds it, and concurrent
// first callers wait for the one build. The built tables take about 10 MB
// together, and building one allocates little more than the table.
var (
	o200kRanks  = sync.OnceValues(func() (*ranks, error) { return loadRanks(O200k) })
	cl100kRanks = sync.OnceValues(func() (*ranks, error) { return loadRanks(CL100k) })
)

// loadRanks builds an encoding's table from the file the offline loader
// embeds. The table is only read afterwards, so every request shares it
// without locking.
func loadRanks(e Encoding) (*ranks, error) {
	r, err := readRanks(e.bpeFile())
	if err != nil {
		return nil, fmt.Errorf("tokens: load %s: %w", e, err)
	}
	return r, nil
}

// table returns the encoding's merge ranks, building them on first use.
func (e Encoding) table() (*ranks, error) {
	switch e {
	case O200k:
		return o200kRanks()
	case CL100k:
		return cl100kRanks()
	}
	return nil, fmt.Errorf("tokens: unknown encoding %d", int(e))
}

// Warm builds the tables for the given encodings (both when none are
// named), so the first request does not pay for it. Call it at startup
// when token limits or policies are configured.
func Warm(encs ...Encoding) error {
	if len(encs) == 0 {
		encs = []Encoding{O200k, CL100k}
	}
	for _, e := range encs {
		if _, err := e.table(); err != nil {
			return err
		}
	}
	return nil
}

// Count returns the number of tokens e encodes s into, counting special
// token text (such as "<|endoftext|>") as ordinary text, as the API does
// for message content.
func (e Encoding) Count(s string) (int, error) {
	r, err := e.table()
	if err != nil {
		return 0, err
	}
	return r.countAll(e, []string{s}), nil
}
