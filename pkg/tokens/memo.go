package tokens

import (
	"encoding/binary"
	"hash/maphash"
	"sync/atomic"
)

// A chat client sends the whole conversation again on every turn, and an
// agent sends the same system prompt and tool definitions on every call,
// so most of what a request asks to have counted was counted a moment
// ago. The memo remembers what each long message and each tool list cost,
// keyed by a hash of its raw JSON, so that a request pays for the text it
// adds rather than for the whole conversation.
//
// The table is direct-mapped and lock-free: a slot holds a pointer to an
// immutable entry, and a newer entry simply replaces an older one. Keys
// are 64-bit hashes under a per-process random seed, compared without the
// text (the memo keeps no request text alive), nor the rules and scope,
// which are hashed into the key; two texts sharing a hash would make one
// estimate wrong, with odds of about one in 2^64 per lookup, and an
// estimate is corrected by the provider's usage anyway.
//
// Counts are remembered per scope (the caller's tenant): a count from the
// memo is faster than a fresh one, and no caller should be able to learn
// from the speed of its own requests what another tenant has sent.

const (
	// memoFrom is the shortest raw JSON worth remembering: below it,
	// counting costs about as much as hashing and looking up.
	memoFrom = 64
	// memoBits sizes the table: 32768 slots, 256 KB of pointers, and at
	// most one 48-byte entry per slot (1.5 MB when full). A
	// direct-mapped table keeps about e^(-m/32768) of m messages in use:
	// 88% of 4,000, 61% of 16,000 (TestMemoCapacity).
	memoBits = 15
)

// memoRules is everything besides the raw JSON that a message's or a tool
// list's count depends on.
type memoRules struct {
	scope    string
	format   format
	family   Family
	enc      Encoding
	image    ImageRule
	urlImage Size
}

// key folds the rules into one number the memo's keys are hashed with,
// so that an entry holds none of them.
func (r *memoRules) key() uint64 { return maphash.Comparable(memoSeed, *r) }

// memoEntry is what one message or one tool list costs, before the
// family's factor is applied (the factor applies to request totals).
// It is 48 bytes: a full table holds about 1.5 MB of them.
type memoEntry struct {
	key uint64
	// text is message text, or tool definitions' text.
	text int
	// fixed is framing (messages) or the tools' fixed overhead.
	fixed              int
	images, imageCount int
	// opaque is what parts counted by size add (chat.opaque).
	opaque int
}

// pending is an entry whose text the other cores are counting, into n;
// it is stored once they are done.
type pending struct {
	e *memoEntry
	n atomic.Int64
}

var (
	memoSeed  = maphash.MakeSeed()
	memoSlots [1 << memoBits]atomic.Pointer[memoEntry]
)

// messageKey is the memo key of one message's raw JSON, of a kind, under
// rules (memoRules.key).
func messageKey(rules uint64, kind messageKind, raw string) uint64 {
	var h maphash.Hash
	h.SetSeed(memoSeed)
	writeUint64(&h, rules)
	_ = h.WriteByte(1 + byte(kind))
	_, _ = h.WriteString(raw)
	return h.Sum64()
}

// toolsKey is the memo key of a request's tool definitions under rules.
// tool_choice is part of it because Claude's tool prompt depends on it.
func toolsKey(rules uint64, tools, functions, choice string) uint64 {
	var h maphash.Hash
	h.SetSeed(memoSeed)
	writeUint64(&h, rules)
	// A different byte after the rules keeps tools and messages apart.
	_ = h.WriteByte(0)
	_, _ = h.WriteString(tools)
	_ = h.WriteByte(0)
	_, _ = h.WriteString(functions)
	_ = h.WriteByte(0)
	_, _ = h.WriteString(choice)
	return h.Sum64()
}

func memoSlot(key uint64) *atomic.Pointer[memoEntry] {
	return &memoSlots[key&(1<<memoBits-1)]
}

func writeUint64(h *maphash.Hash, v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	_, _ = h.Write(b[:])
}

// recall returns the entry for key, or nil.
func recall(key uint64) *memoEntry {
	if e := memoSlot(key).Load(); e != nil && e.key == key {
		return e
	}
	return nil
}

// remember stores e, which must not change afterwards.
func remember(e *memoEntry) { memoSlot(e.key).Store(e) }
