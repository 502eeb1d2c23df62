package tokens

import "math"

// noRank marks a pair of parts that has no merge.
const noRank = math.MaxInt

// shortPiece is the longest pre-token merged by rescanning every pair
// after each merge, as tiktoken does; longer ones (long runs of
// punctuation or of one script without spaces) use a heap so a hostile
// body cannot make counting quadratic.
const shortPiece = 64

// pieceTokens returns how many tokens one pre-token encodes into.
func (r *ranks) pieceTokens(p string) int {
	if len(p) <= 1 {
		return len(p)
	}
	if _, ok := r.rank(p); ok {
		return 1
	}
	if len(p) > shortPiece {
		return r.mergeLong(p)
	}
	return r.mergeShort(p)
}

// part is one part of a piece being merged. Its fields are 32-bit (a
// piece is at most shortPiece bytes, and ranks are below the vocabulary
// size) so the parts of mergeShort take half the stack.
type part struct{ start, rank int32 }

// noPartRank is noRank for a part.
const noPartRank = math.MaxInt32

// mergeShort is tiktoken's byte-pair merge: repeatedly join the adjacent
// pair whose bytes have the lowest rank (the leftmost on a tie) until no
// pair is a token. Only the number of parts left is kept.
func (r *ranks) mergeShort(p string) int {
	var buf [shortPiece + 1]part
	parts := buf[:0]
	for i := range len(p) + 1 {
		parts = append(parts, part{int32(i), noPartRank}) //nolint:gosec // i <= shortPiece
	}
	// rank is the rank of the bytes spanning parts[i] to parts[i+skip].
	rank := func(i, skip int) int32 {
		if i+skip < len(parts) {
			if v, ok := r.rank(p[parts[i].start:parts[i+skip].start]); ok {
				return int32(v) //nolint:gosec // ranks are below the vocabulary size
			}
		}
		return noPartRank
	}
	for i := 0; i+2 < len(parts); i++ {
		parts[i].rank = rank(i, 2)
	}
	for {
		best, at := int32(noPartRank), -1
		for i := 0; i+1 < len(parts); i++ {
			if parts[i].rank < best {
				best, at = parts[i].rank, i
			}
		}
		if at < 0 {
			return len(parts) - 1
		}
		if at > 0 {
			parts[at-1].rank = rank(at-1, 3)
		}
		parts[at].rank = rank(at, 3)
		parts = append(parts[:at+1], parts[at+2:]...)
	}
}

// mergeLong gives the same result as mergeShort in O(n log n): parts are
// a linked list and candidate pairs sit in a heap ordered by rank, then by
// position, which is the order mergeShort's scan picks them in.
func (r *ranks) mergeLong(p string) int {
	n := len(p)
	next := make([]int, n+1) // next[i] is the start of the part after the one at i, or n
	prev := make([]int, n)
	version := make([]int, n)
	for i := range n {
		next[i], prev[i] = i+1, i-1
	}
	next[n] = n
	pairRank := func(i int) int {
		if i < 0 || next[i] >= n {
			return noRank
		}
		if v, ok := r.rank(p[i:next[next[i]]]); ok {
			return v
		}
		return noRank
	}
	h := make(pairHeap, 0, n)
	for i := 0; i+1 < n; i++ {
		if v, ok := r.rank(p[i : i+2]); ok {
			h.push(pair{v, i, 0})
		}
	}
	parts := n
	for len(h) > 0 {
		top := h.pop()
		i := top.start
		if top.version != version[i] {
			continue // stale: this part has merged since
		}
		j := next[i] // merge the part at j into the part at i
		next[i] = next[j]
		if next[j] < n {
			prev[next[j]] = i
		}
		version[j] = -1
		parts--
		version[i]++
		if v := pairRank(i); v != noRank {
			h.push(pair{v, i, version[i]})
		}
		if q := prev[i]; q >= 0 {
			version[q]++
			if v := pairRank(q); v != noRank {
				h.push(pair{v, q, version[q]})
			}
		}
	}
	return parts
}

// pair is a candidate merge of the part starting at start with the next.
type pair struct{ rank, start, version int }

func (a pair) less(b pair) bool {
	return a.rank < b.rank || (a.rank == b.rank && a.start < b.start)
}

// pairHeap is a binary min-heap; container/heap would box every element.
type pairHeap []pair

func (h *pairHeap) push(x pair) {
	*h = append(*h, x)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s[i].less(s[parent]) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

func (h *pairHeap) pop() pair {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l, small := 2*i+1, i
		if l < len(s) && s[l].less(s[small]) {
			small = l
		}
		if r := l + 1; r < len(s) && s[r].less(s[small]) {
			small = r
		}
		if small == i {
			break
		}
		s[i], s[small] = s[small], s[i]
		i = small
	}
	*h = s
	return top
}
