package audit

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tidwall/gjson"
)

// VerifyOptions configure a Verifier.
type VerifyOptions struct {
	// HMACKey checks segments linked with HMAC-SHA256.
	HMACKey []byte
	// Partial accepts a trail that starts after its genesis, when older
	// files were deleted by retention: the first record is taken on trust
	// as the anchor, and the report says so.
	Partial bool
	// Head, when set, is the link (hex digest) of the last record as
	// noted earlier, for example from a previous verification: a trail
	// whose last record has another digest was cut or rewritten.
	Head string
}

// Report summarises a verified trail.
type Report struct {
	Files    int
	Lines    int
	Requests int
	Segments int
	Gaps     int
	// Dropped sums the gap records' counts.
	Dropped           uint64
	FirstSeq, LastSeq uint64
	// Head is the link to the last record: note it and pass it as
	// VerifyOptions.Head later to prove the trail was not cut since.
	Head string
	// Partial is set when the trail does not start at genesis.
	Partial bool
	// Ended is set when the last record is an end record (a clean
	// shutdown, nothing written since).
	Ended bool
}

// BrokenError is where a chain breaks.
type BrokenError struct {
	File   string
	Line   int    // 1-based, within File
	Seq    uint64 // 0 when the record has none
	Reason string
}

func (e *BrokenError) Error() string {
	if e.Seq > 0 {
		return fmt.Sprintf("%s:%d: seq %d: %s", e.File, e.Line, e.Seq, e.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

// Verifier checks a trail fed to it file by file, in order.
type Verifier struct {
	opts VerifyOptions
	rep  Report
	alg  string
	last []byte // the previous record, exactly as written
	// bad is an unreadable line that only a following segment record
	// accounting for it (a crash mid-write) may excuse.
	bad *BrokenError
	n   int // bad line's length
}

// NewVerifier returns a verifier.
func NewVerifier(opts VerifyOptions) *Verifier {
	v := &Verifier{opts: opts, alg: AlgSHA256}
	if len(opts.HMACKey) > 0 {
		v.alg = AlgHMACSHA256
	}
	return v
}

// File checks the records of one file, continuing the chain of the files
// before it.
func (v *Verifier) File(name string, r io.Reader) error {
	v.rep.Files++
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			complete := line[len(line)-1] == '\n'
			if complete {
				line = line[:len(line)-1]
			}
			v.rep.Lines++
			if err := v.line(name, n, line, complete); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("audit: reading %s: %w", name, err)
		}
	}
}

func (v *Verifier) line(name string, n int, line []byte, complete bool) error {
	f := gjson.GetManyBytes(line, "seq", "prev", "type", "alg", "skipped_bytes", "dropped")
	seq, prev, typ := f[0], f[1], f[2].Str
	here := &BrokenError{File: name, Line: n, Seq: seq.Uint()}
	if !complete || !gjson.ValidBytes(line) || seq.Type != gjson.Number || seq.Uint() == 0 || prev.Type != gjson.String {
		if v.bad != nil {
			return v.bad
		}
		here.Seq = 0
		here.Reason = "not a complete audit record (edited, or the file was cut here)"
		v.bad, v.n = here, len(line)
		return nil
	}
	if err := v.excuse(here, typ, f[4]); err != nil {
		return err
	}
	if typ == TypeSegment {
		switch alg := f[3].Str; {
		case alg == AlgHMACSHA256 && len(v.opts.HMACKey) == 0:
			return v.broken(here, "segment is linked with HMAC-SHA256: verifying needs the key")
		case alg == AlgHMACSHA256 || alg == AlgSHA256:
			v.alg = alg
		default:
			return v.broken(here, fmt.Sprintf("segment names an unknown link algorithm %q", alg))
		}
	}
	if err := v.link(here, seq.Uint(), prev.Str, typ); err != nil {
		return err
	}
	v.count(seq.Uint(), typ, f[5].Uint())
	v.last = append(v.last[:0], line...)
	return nil
}

// excuse lets one unreadable line through when the next record is the
// segment that Sluice writes after finding it on restart.
func (v *Verifier) excuse(here *BrokenError, typ string, skipped gjson.Result) error {
	switch {
	case v.bad != nil && (typ != TypeSegment || skipped.Int() != int64(v.n)):
		return v.bad
	case v.bad == nil && skipped.Exists():
		return v.broken(here, "segment accounts for an incomplete line that is not there (a line was removed)")
	}
	v.bad = nil
	return nil
}

func (v *Verifier) link(here *BrokenError, seq uint64, prev, typ string) error {
	if v.rep.FirstSeq == 0 {
		v.rep.FirstSeq = seq
		switch {
		case prev == Genesis && (seq != 1 || typ != TypeSegment):
			return v.broken(here, "genesis must be a segment record with seq 1")
		case prev != Genesis && !v.opts.Partial:
			return v.broken(here, "the trail does not start at its genesis record: earlier records are missing (verify with partial to start here)")
		case prev != Genesis:
			v.rep.Partial = true
		}
		return nil
	}
	last := v.rep.LastSeq
	switch {
	case prev == Genesis:
		return v.broken(here, fmt.Sprintf("a new chain starts here after seq %d: records before it were cut off or replaced", last))
	case seq != last+1:
		return v.broken(here, fmt.Sprintf("want seq %d: a record was removed, inserted or moved", last+1))
	case !hmac.Equal([]byte(prev), []byte(v.digest(v.last))):
		return v.broken(here, fmt.Sprintf("prev is not the digest of the record before it (seq %d): one of the two was altered", last))
	}
	return nil
}

func (v *Verifier) count(seq uint64, typ string, dropped uint64) {
	v.rep.LastSeq = seq
	v.rep.Ended = typ == TypeEnd
	switch typ {
	case TypeRequest:
		v.rep.Requests++
	case TypeSegment:
		v.rep.Segments++
	case TypeGap:
		v.rep.Gaps++
		v.rep.Dropped += dropped
	}
}

func (v *Verifier) broken(here *BrokenError, reason string) *BrokenError {
	here.Reason = reason
	return here
}

func (v *Verifier) digest(line []byte) string {
	var sum [sha256.Size]byte
	if v.alg == AlgHMACSHA256 {
		m := hmac.New(sha256.New, v.opts.HMACKey)
		m.Write(line) // hash writes never fail
		m.Sum(sum[:0])
	} else {
		sum = sha256.Sum256(line)
	}
	return hex.EncodeToString(sum[:])
}

// Finish ends the verification: the trail must not end on an unreadable
// line, and its last record must match the expected head.
func (v *Verifier) Finish() (Report, error) {
	if v.bad != nil {
		return v.rep, v.bad
	}
	if v.rep.LastSeq == 0 {
		return v.rep, errors.New("audit: no records")
	}
	v.rep.Head = v.digest(v.last)
	if v.opts.Head != "" && !strings.EqualFold(v.opts.Head, v.rep.Head) {
		return v.rep, fmt.Errorf("audit: the last record (seq %d) is not the expected head %s: the trail was cut or rewritten", v.rep.LastSeq, v.opts.Head)
	}
	return v.rep, nil
}

// VerifyPaths verifies files in the order given; a directory stands for
// every audit file in it, in chain order (by the seq of each file's first
// record). Rotated files compressed with gzip are read as they are.
func VerifyPaths(paths []string, opts VerifyOptions) (Report, error) {
	files, err := expand(paths)
	if err != nil {
		return Report{}, err
	}
	v := NewVerifier(opts)
	for _, f := range files {
		data, err := readAll(f)
		if err != nil {
			return v.rep, err
		}
		if err := v.File(f, bytes.NewReader(data)); err != nil {
			return v.rep, err
		}
	}
	return v.Finish()
}

func expand(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		files, err := inChainOrder(p)
		if err != nil {
			return nil, err
		}
		out = append(out, files...)
	}
	if len(out) == 0 {
		return nil, errors.New("audit: no files to verify")
	}
	return out, nil
}

// inChainOrder lists a directory's audit files by the seq of their first
// record; names alone cannot order the current file after rotated ones.
func inChainOrder(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	type file struct {
		path string
		seq  uint64
	}
	var files []file
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := readAll(path)
		if err != nil {
			return nil, err
		}
		if len(data) == 0 {
			continue
		}
		line, _, _ := bytes.Cut(data, []byte{'\n'})
		files = append(files, file{path, gjson.GetBytes(line, "seq").Uint()})
	}
	slices.SortStableFunc(files, func(a, b file) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return strings.Compare(a.path, b.path)
	})
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.path
	}
	return out, nil
}
