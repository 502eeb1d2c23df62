package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"time"

	"github.com/tidwall/gjson"
)

// The record types of the trail.
const (
	// TypeRequest is one request's record.
	TypeRequest = "request"
	// TypeSegment opens a chain segment: at genesis, or when Sluice starts
	// again and continues the file it finds.
	TypeSegment = "segment"
	// TypeGap stands for records that were dropped, with their count.
	TypeGap = "gap"
	// TypeEnd closes a segment on a clean shutdown.
	TypeEnd = "end"
)

// Genesis is the prev of the first record of a chain.
const Genesis = "genesis"

// The link algorithms a segment declares.
const (
	AlgSHA256     = "sha256"
	AlgHMACSHA256 = "hmac-sha256"
)

// chain links records: each carries seq, one more than the previous
// record's, and prev, the hex digest of the previous record's exact bytes
// (without the newline): SHA-256, or HMAC-SHA256 when keyed. Only the
// writer goroutine touches it.
type chain struct {
	alg  string
	mac  hash.Hash // nil for plain SHA-256
	seq  uint64
	prev [64]byte // hex digest of the last record, or Genesis
	n    int      // length of prev in use
}

func newChain(key []byte) *chain {
	c := &chain{alg: AlgSHA256}
	if len(key) > 0 {
		c.alg, c.mac = AlgHMACSHA256, hmac.New(sha256.New, key)
	}
	c.n = copy(c.prev[:], Genesis)
	return c
}

// digest is the hex link to line, with the chain's algorithm.
func (c *chain) digest(dst *[64]byte, line []byte) {
	var sum [sha256.Size]byte
	if c.mac != nil {
		c.mac.Reset()
		c.mac.Write(line) // hash writes never fail
		c.mac.Sum(sum[:0])
	} else {
		sum = sha256.Sum256(line)
	}
	hex.Encode(dst[:], sum[:])
}

// state is what a failed write rolls back to.
type chainState struct {
	seq  uint64
	prev [64]byte
	n    int
}

func (c *chain) save() chainState     { return chainState{c.seq, c.prev, c.n} }
func (c *chain) restore(s chainState) { c.seq, c.prev, c.n = s.seq, s.prev, s.n }

// resume continues the chain after last, the last complete record of an
// existing file.
func (c *chain) resume(last []byte) error {
	seq := gjson.GetBytes(last, "seq")
	if !gjson.ValidBytes(last) || seq.Type != gjson.Number || seq.Uint() == 0 {
		return errors.New("its last line is not an audit record")
	}
	c.seq = seq.Uint()
	c.digest(&c.prev, last)
	c.n = len(c.prev)
	return nil
}

// open appends the chain fields of the next record, {"seq":N,"prev":"..",
// ready for the record's own members.
func (c *chain) open(b []byte) []byte {
	c.seq++
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, c.seq, 10)
	b = append(b, `,"prev":"`...)
	b = append(b, c.prev[:c.n]...)
	return append(b, '"')
}

// close records line (the record just completed, without newline) as the
// one the next record links to.
func (c *chain) close(line []byte) {
	c.digest(&c.prev, line)
	c.n = len(c.prev)
}

// appendSegment appends a segment record. skipped is the length of an
// incomplete last line of the file being resumed, which the segment
// accounts for so that verification can tell a crash from tampering.
func (c *chain) appendSegment(b []byte, now time.Time, reason string, skipped int) []byte {
	start := len(b)
	b = c.open(b)
	b = str(b, "type", TypeSegment)
	b = timestamp(b, "time", now)
	b = str(b, "alg", c.alg)
	b = str(b, "reason", reason)
	if skipped > 0 {
		b = num(b, "skipped_bytes", int64(skipped))
	}
	b = append(b, '}')
	c.close(b[start:])
	return append(b, '\n')
}

// appendGap appends a gap record for n dropped records.
func (c *chain) appendGap(b []byte, now time.Time, n uint64) []byte {
	start := len(b)
	b = c.open(b)
	b = str(b, "type", TypeGap)
	b = timestamp(b, "time", now)
	b = unum(b, "dropped", n)
	b = append(b, '}')
	c.close(b[start:])
	return append(b, '\n')
}

// appendEnd appends the end record of a clean shutdown.
func (c *chain) appendEnd(b []byte, now time.Time, written, dropped uint64) []byte {
	start := len(b)
	b = c.open(b)
	b = str(b, "type", TypeEnd)
	b = timestamp(b, "time", now)
	b = unum(b, "written", written)
	b = unum(b, "dropped", dropped)
	b = append(b, '}')
	c.close(b[start:])
	return append(b, '\n')
}

// appendRecord appends body, a record encoded without chain fields
// ({"type":...}), behind the chain fields.
func (c *chain) appendRecord(b, body []byte) ([]byte, error) {
	if len(body) < 2 || body[0] != '{' {
		return b, fmt.Errorf("audit: record is not a JSON object")
	}
	start := len(b)
	b = c.open(b)
	b = append(b, ',')
	b = append(b, body[1:]...)
	c.close(b[start:])
	return append(b, '\n'), nil
}
