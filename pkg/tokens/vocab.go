package tokens

import "unsafe"

// ranks maps every token's bytes to its merge rank. A Go map of 200k
// strings would be scanned by the garbage collector on every cycle of
// the whole process, and costs a pointer chase per lookup; this table
// holds no pointers: the token bytes sit end to end in one arena and an
// open-addressed array of fixed-size slots points into it.
type ranks struct {
	arena []byte
	slots []vslot
	mask  uint64
}

// vslot is one slot, packed into 8 bytes so that more of the table sits
// in each cache line: from the low bits, the token's length (0 marks an
// empty slot), its start in arena, its rank, and the high bits of its
// hash, which skip most byte compares.
type vslot uint64

const (
	lenBits   = 10
	offBits   = 22
	rankBits  = 18
	rankShift = lenBits + offBits
	tagShift  = rankShift + rankBits

	// The limits a packed slot sets; readRanks checks an encoding fits.
	maxTokenLen = 1<<lenBits - 1
	maxArena    = 1 << offBits
	maxRank     = 1<<rankBits - 1

	lenMask  = maxTokenLen
	tagMask  = ^uint64(0) >> tagShift << tagShift
	keyMask  = lenMask | tagMask // the length and the tag
	rankMask = maxRank << rankShift
)

func packSlot(off, n, rank int, h uint64) vslot {
	return vslot(uint64(n) | uint64(off)<<lenBits | uint64(rank)<<rankShift | h&tagMask) //nolint:gosec // bounds checked by readRanks
}

func (s vslot) len() int  { return int(s & lenMask) }
func (s vslot) off() int  { return int(s >> lenBits & (maxArena - 1)) }
func (s vslot) rank() int { return int(s >> rankShift & maxRank) }

// newRankTable returns an empty table for n tokens whose bytes take
// arenaLen bytes in all.
func newRankTable(n, arenaLen int) *ranks {
	size := 1
	for size < 2*n { // at most half full: probes stay short
		size <<= 1
	}
	return &ranks{arena: make([]byte, 0, arenaLen), slots: make([]vslot, size), mask: uint64(size) - 1} //nolint:gosec // a positive power of two
}

// insert adds the token whose bytes end the arena, from off, with rank v;
// the caller checks both fit a slot. A token seen before keeps its first
// bytes and takes the new rank, as a map assignment would.
func (r *ranks) insert(off, v int) {
	b := r.arena[off:]
	k := unsafe.String(unsafe.SliceData(b), len(b)) //nolint:gosec // read only while inserting
	h := hash(k)
	i := h & r.mask
	for ; r.slots[i] != 0; i = (i + 1) & r.mask {
		s := r.slots[i]
		if s.len() == len(k) && string(r.arena[s.off():s.off()+s.len()]) == k {
			r.slots[i] = s&^rankMask | vslot(uint64(v)<<rankShift) //nolint:gosec // checked by the caller
			r.arena = r.arena[:off]
			return
		}
	}
	r.slots[i] = packSlot(off, len(k), v, h)
}

// rank returns the rank of the token with bytes p, if p is a token.
func (r *ranks) rank(p string) (int, bool) {
	if len(p) > maxTokenLen {
		return 0, false
	}
	h := hash(p)
	want := uint64(len(p)) | h&tagMask
	for i := h & r.mask; ; i = (i + 1) & r.mask {
		s := r.slots[i]
		if s == 0 {
			return 0, false
		}
		if uint64(s)&keyMask == want && string(r.arena[s.off():s.off()+len(p)]) == p {
			return s.rank(), true
		}
	}
}

// hash is 64-bit FNV-1a.
func hash(p string) uint64 {
	h := uint64(14695981039346656037)
	for i := range len(p) {
		h = (h ^ uint64(p[i])) * 1099511628211
	}
	return h
}
