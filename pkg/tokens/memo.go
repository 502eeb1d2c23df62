package tokens

import (
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
// text (the memo keeps no request text alive); two texts sharing a hash
// would make one estimate wrong, with odds of about one in 2^64 per
// lookup, and an estimate is corrected by the provider's usage anyway.
//
// Counts are remembered per scope (the caller's tenant): a count from the
// memo is faster than a fresh one, and no caller should be able to learn
// from the speed of its own requests what another tenant has sent.

const (
	// memoFrom is the shortest raw JSON worth remembering: below it,
	// counting costs about as much as hashing and looking up.
	memoFrom = 64
	// memoBits sizes the table: 32768 slots, 256 KB of pointers, and at
	// most one entry of about 130 bytes per slot (4 MB when full). A
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

// memoEntry is what one message or one tool list costs, before the
// family's factor is applied (the factor applies to request totals).
type memoEntry struct {
	key   uint64
	rules memoRules
	// text is message text, or tool definitions' text.
	text int
	// fixed is framing (messages) or the tools' fixed overhead.
	fixed              int
	images, imageCount int
	// opaque is what parts counted by size add (chat.opaque).
	opaque int
	// counting is where the other cores add up the text of a message
	// counted on them; text is set from it before the entry is stored.
	counting atomic.Int64
}

var (
	memoSeed  = maphash.MakeSeed()
	memoSlots [1 << memoBits]atomic.Pointer[memoEntry]
)

// messageKey is the memo key of one message's raw JSON, of a kind, in
// scope.
func messageKey(scope string, kind messageKind, raw string) uint64 {
	var h maphash.Hash
	h.SetSeed(memoSeed)
	_, _ = h.WriteString(scope)
	_ = h.WriteByte(1 + byte(kind))
	_, _ = h.WriteString(raw)
	return h.Sum64()
}

// toolsKey is the memo key of a request's tool definitions in scope.
// tool_choice is part of it because Claude's tool prompt depends on it.
func toolsKey(scope, tools, functions, choice string) uint64 {
	var h maphash.Hash
	h.SetSeed(memoSeed)
	_, _ = h.WriteString(scope)
	// A different byte after the scope keeps tools and messages apart.
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

// recall returns the entry for key under rules, or nil.
func recall(key uint64, rules memoRules) *memoEntry {
	if e := memoSlot(key).Load(); e != nil && e.key == key && e.rules == rules {
		return e
	}
	return nil
}

// remember stores e, which must not change afterwards.
func remember(e *memoEntry) { memoSlot(e.key).Store(e) }
