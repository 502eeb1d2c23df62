package tokens

import (
	"encoding/binary"
	"sync"
)

// Most of a long text is the same few thousand words, and a word that is
// not itself a token costs a dozen rank lookups to merge. A small
// direct-mapped table of pre-token counts, private to one count and small
// enough to stay in the CPU cache, turns most pre-tokens into one hash
// and one compare.

const (
	// cacheBits sizes the table of a long text (1 MB); shortCacheBits
	// that of a text under shortCacheFrom bytes (64 KB), which has too few
	// pre-tokens to use more and stays in the CPU cache among the rest of
	// a request's work. The chunks a long text is cut into for other
	// cores are longer than shortCacheFrom.
	cacheBits      = 15
	shortCacheBits = 11
	shortCacheFrom = 8 << 10
	// cacheKeyMax is the longest pre-token the table keeps (a slot is then
	// 32 bytes, two to a cache line); keys are held
	// inline so a pooled table never keeps an old request's text alive.
	cacheKeyMax = 27
)

type cacheSlot struct {
	n   int32
	len uint8
	key [cacheKeyMax]byte
}

type pieceCache struct {
	slots []cacheSlot
	bits  uint
}

// Tables are pooled per encoding and size: an entry stays true for as
// long as the encoding does.
var cachePools = [...][2]sync.Pool{
	O200k:  {{New: newPieceCache(shortCacheBits)}, {New: newPieceCache(cacheBits)}},
	CL100k: {{New: newPieceCache(shortCacheBits)}, {New: newPieceCache(cacheBits)}},
}

func newPieceCache(bits uint) func() any {
	return func() any { return &pieceCache{slots: make([]cacheSlot, 1<<bits), bits: bits} }
}

// cachePool is the pool of tables for a text of n bytes.
func cachePool(e Encoding, n int) *sync.Pool {
	if n < shortCacheFrom {
		return &cachePools[e][0]
	}
	return &cachePools[e][1]
}

// tokens returns pieceTokens(s[i:j]), from the table when it holds it.
func (c *pieceCache) tokens(r *ranks, s string, i, j int) int {
	p := s[i:j]
	if len(p) <= 1 || len(p) > cacheKeyMax {
		return r.pieceTokens(p)
	}
	var slot *cacheSlot
	if len(p) <= 8 {
		// Most pre-tokens fit a word: hash and compare them as one.
		w := word(s, i, len(p))
		slot = &c.slots[(w*0x9e3779b97f4a7c15)>>(64-c.bits)]
		if int(slot.len) == len(p) && binary.LittleEndian.Uint64(slot.key[:8]) == w {
			return int(slot.n)
		}
	} else {
		// FNV-1a; a collision costs only a miss.
		h := uint32(2166136261)
		for k := range len(p) {
			h = (h ^ uint32(p[k])) * 16777619
		}
		slot = &c.slots[h&(1<<c.bits-1)]
		if int(slot.len) == len(p) && string(slot.key[:len(p)]) == p {
			return int(slot.n)
		}
	}
	n := r.pieceTokens(p)
	slot.len = uint8(len(p)) //nolint:gosec // at most cacheKeyMax
	clear(slot.key[copy(slot.key[:], p):])
	slot.n = int32(n) //nolint:gosec // at most len(p) tokens
	return n
}

// word returns the n <= 8 bytes at s[i:] as a little-endian integer,
// zero above the n-th byte.
func word(s string, i, n int) uint64 {
	var w uint64
	if i+8 <= len(s) {
		b := s[i : i+8]
		w = uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		if n < 8 {
			w &= 1<<(8*n) - 1
		}
		return w
	}
	for k := n - 1; k >= 0; k-- {
		w = w<<8 | uint64(s[i+k])
	}
	return w
}
