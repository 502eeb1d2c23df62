package fakeprovider

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// cuts runs a Splitter over b and returns the pieces.
func cuts(s Split, b []byte) [][]byte {
	sp := s()
	var out [][]byte
	for len(b) > 0 {
		n := min(max(sp.Next(b), 1), len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

var splitInputs = map[string][]byte{
	"sse":    []byte("event: content_block_delta\ndata: {\"text\":\"héllo wörld 🌊\"}\n\nevent: ping\ndata: {}\n\n"),
	"crlf":   []byte("data: {\"text\":\"日本語\"}\r\n\r\ndata: {\"text\":\"✓\"}\r\n\r\n"),
	"binary": {0, 0, 0, 42, 0xff, 0xe2, 0x9c, 0x93, 0x80, 0x00, 0x01},
	"empty":  {},
}

func TestSplitsReassemble(t *testing.T) {
	splits := map[string]Split{
		"whole": Whole(), "every byte": EveryByte(), "fixed 3": Fixed(3), "fixed 0": Fixed(0),
		"random": Random(7, 1, 5), "awkward": Awkward(1), "awkward 99": Awkward(99),
	}
	for sname, s := range splits {
		for iname, in := range splitInputs {
			t.Run(sname+"/"+iname, func(t *testing.T) {
				pieces := cuts(s, in)
				if got := bytes.Join(pieces, nil); !bytes.Equal(got, in) {
					t.Fatalf("reassembled %q, want %q", got, in)
				}
				for _, p := range pieces {
					if len(p) == 0 {
						t.Fatal("empty piece")
					}
				}
			})
		}
	}
}

func TestSplitSizes(t *testing.T) {
	in := splitInputs["sse"]
	for _, p := range cuts(EveryByte(), in) {
		if len(p) != 1 {
			t.Fatalf("EveryByte wrote %d bytes", len(p))
		}
	}
	fixed := cuts(Fixed(4), in)
	for _, p := range fixed[:len(fixed)-1] {
		if len(p) != 4 {
			t.Fatalf("Fixed(4) wrote %d bytes", len(p))
		}
	}
	a, b := cuts(Random(3, 1, 7), in), cuts(Random(3, 1, 7), in)
	if !slices.EqualFunc(a, b, bytes.Equal) {
		t.Error("Random with one seed cut differently twice")
	}
	for _, p := range a {
		if len(p) > 7 {
			t.Errorf("Random(3, 1, 7) wrote %d bytes", len(p))
		}
	}
}

func TestAwkwardCutsWhereParsersBreak(t *testing.T) {
	pieces := cuts(Awkward(1), append(slices.Clone(splitInputs["sse"]), splitInputs["crlf"]...))
	var midRune, midField, midCRLF bool
	for i, p := range pieces[:len(pieces)-1] {
		next := pieces[i+1]
		midRune = midRune || !utf8.RuneStart(next[0])
		midField = midField || (bytes.HasSuffix(p, []byte("da")) && bytes.HasPrefix(next, []byte("ta:"))) ||
			(bytes.HasSuffix(p, []byte("ev")) && bytes.HasPrefix(next, []byte("ent:")))
		midCRLF = midCRLF || (bytes.HasSuffix(p, []byte("\r")) && next[0] == '\n')
	}
	if !midRune || !midField || !midCRLF {
		t.Errorf("cut inside a rune %v, a field name %v, a CRLF %v; want all: %q", midRune, midField, midCRLF, pieces)
	}
}

// TestPiecesReachTheWire reads a raw HTTP/1.1 response and checks that the
// stream arrives as many small chunks, each one flushed piece.
func TestPiecesReachTheWire(t *testing.T) {
	set := StartAll(t, WithSplit(Fixed(3)))
	conn, err := net.Dial("tcp", set.Addr(BackendOpenAI))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}`
	_, err = fmt.Fprintf(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", OpenAIKey, len(body), body)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	for { // skip the status line and headers
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			break
		}
	}
	var sizes []int
	var data []byte
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
		if err != nil {
			t.Fatalf("chunk size %q: %v", line, err)
		}
		if n == 0 {
			break
		}
		chunk := make([]byte, n+2) // with its CRLF
		if _, err := io.ReadFull(r, chunk); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, int(n))
		data = append(data, chunk[:n]...)
	}
	if slices.Max(sizes) > 3 || len(sizes) < 100 {
		t.Errorf("got %d chunks of at most %d bytes; want many of at most 3", len(sizes), slices.Max(sizes))
	}
	if frames, partial := decodeStream(t, BackendOpenAI, data); partial || streamText(BackendOpenAI, frames) != ReplyText {
		t.Errorf("reassembled stream is wrong: %q", data)
	}
}
