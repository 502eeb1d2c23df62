package tokens

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"

	"github.com/pkoukk/tiktoken-go-loader/assets"
)

// A .tiktoken file has one token a line: its bytes in standard base64, a
// space, and its rank. The offline loader turns the file into a map of
// 200k strings (some 40 MB of garbage, which the heap then keeps as
// resident memory long after); readRanks reads it straight into the
// pointer-free table instead, in two passes over the embedded file: one
// to size the arena and the slots, one to fill them.
func readRanks(name string) (*ranks, error) {
	var tokens, arenaLen int
	err := eachRankLine(name, func(tok []byte, _ []byte) error {
		tokens++
		arenaLen += base64.StdEncoding.DecodedLen(len(tok))
		return nil
	})
	if err != nil {
		return nil, err
	}
	r := newRankTable(tokens, arenaLen)
	err = eachRankLine(name, func(tok, rank []byte) error {
		start := len(r.arena)
		n, err := base64.StdEncoding.Decode(r.arena[start:start+base64.StdEncoding.DecodedLen(len(tok))], tok)
		if err != nil {
			return fmt.Errorf("token %q: %w", tok, err)
		}
		v, err := strconv.Atoi(string(rank))
		if err != nil {
			return fmt.Errorf("token %q: rank: %w", tok, err)
		}
		if n > maxTokenLen || v < 0 || v > maxRank || start+n > maxArena {
			return fmt.Errorf("token %q (rank %d) does not fit the table", tok, v)
		}
		r.arena = r.arena[:start+n]
		r.insert(start, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// eachRankLine calls fn with the base64 token and the rank of every
// non-empty line of the embedded file name. As the offline loader does,
// the rank is what follows the first space, up to any further one.
func eachRankLine(name string, fn func(tok, rank []byte) error) error {
	f, err := assets.Assets.Open(name)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	return scanRankLines(f, fn)
}

func scanRankLines(rd io.Reader, fn func(tok, rank []byte) error) error {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	sc.Split(scanLines)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		tok, rest, ok := bytes.Cut(line, []byte{' '})
		if !ok {
			return fmt.Errorf("line %q has no rank", line)
		}
		rank, _, _ := bytes.Cut(rest, []byte{' '})
		if err := fn(tok, rank); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, fs.ErrClosed) {
		return err
	}
	return nil
}

// scanLines splits at '\n' only, as the offline loader does: a '\r'
// stays part of the line.
func scanLines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
