package tokens

import (
	"strings"
	"testing"

	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// TestReadRanksMatchesLoader holds the table read from the embedded file
// to the offline loader's map: the same tokens, the same ranks.
func TestReadRanksMatchesLoader(t *testing.T) {
	for _, e := range []Encoding{O200k, CL100k} {
		t.Run(e.String(), func(t *testing.T) {
			m, err := tiktoken_loader.NewOfflineLoader().LoadTiktokenBpe(e.bpeFile())
			if err != nil {
				t.Fatal(err)
			}
			r, err := readRanks(e.bpeFile())
			if err != nil {
				t.Fatal(err)
			}
			used := 0
			for _, s := range r.slots {
				if s != 0 {
					used++
				}
			}
			if used != len(m) {
				t.Errorf("%d tokens in the table, %d in the loader's map", used, len(m))
			}
			for k, v := range m {
				if got, ok := r.rank(k); !ok || got != v {
					t.Fatalf("rank(%q) = %d, %v; want %d", k, got, ok, v)
				}
			}
		})
	}
}

func TestScanRankLines(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		wantErr  bool
	}{
		{name: "plain", in: "IQ== 0\nIg== 1\n", want: []string{"IQ==:0", "Ig==:1"}},
		{name: "no final newline, blank lines", in: "\nIQ== 0\n\nIg== 1", want: []string{"IQ==:0", "Ig==:1"}},
		{name: "extra fields", in: "IQ== 0 x\n", want: []string{"IQ==:0"}},
		{name: "no rank", in: "IQ==\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := scanRankLines(strings.NewReader(tt.in), func(tok, rank []byte) error {
				got = append(got, string(tok)+":"+string(rank))
				return nil
			})
			if (err != nil) != tt.wantErr || strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestInsertDuplicateKeepsLastRank(t *testing.T) {
	r := newRankTable(2, 4)
	for _, v := range []int{7, 9} {
		off := len(r.arena)
		r.arena = append(r.arena, "ab"...)
		r.insert(off, v)
	}
	if got, ok := r.rank("ab"); !ok || got != 9 || len(r.arena) != 2 {
		t.Errorf("rank = %d, %v with arena %q; want 9 and one copy", got, ok, r.arena)
	}
}
