package tokens

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

type vslot struct {
	off  uint32 // start of the token in arena
	rank uint32
	len  uint16 // 0 marks an empty slot
	tag  uint16 // high bits of the hash, to skip most byte compares
}

func newRanks(m map[string]int) *ranks {
	size := uint64(1)
	for size < uint64(len(m))*2 { // at most half full: probes stay short
		size <<= 1
	}
	arenaLen := 0
	for k := range m {
		arenaLen += len(k)
	}
	r := &ranks{arena: make([]byte, 0, arenaLen), slots: make([]vslot, size), mask: size - 1}
	for k, v := range m {
		h := hash(k)
		i := h & r.mask
		for r.slots[i].len != 0 {
			i = (i + 1) & r.mask
		}
		r.slots[i] = vslot{
			off:  uint32(len(r.arena)), //nolint:gosec // the arena of a shipped encoding is a few MB
			rank: uint32(v),            //nolint:gosec // ranks are below the vocabulary size
			len:  uint16(len(k)),       //nolint:gosec // tokens are at most a few hundred bytes
			tag:  uint16(h >> 48),
		}
		r.arena = append(r.arena, k...)
	}
	return r
}

// rank returns the rank of the token with bytes p, if p is a token.
func (r *ranks) rank(p string) (int, bool) {
	h := hash(p)
	tag := uint16(h >> 48)
	for i := h & r.mask; ; i = (i + 1) & r.mask {
		s := &r.slots[i]
		if s.len == 0 {
			return 0, false
		}
		if s.tag == tag && int(s.len) == len(p) && string(r.arena[s.off:s.off+uint32(s.len)]) == p {
			return int(s.rank), true
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
