package policy

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
)

// idBatch is how many decision ids one read from crypto/rand serves. A
// read per id would be a system call on every request.
const idBatch = 64

type idSource struct {
	buf [16 * idBatch]byte
	off int
}

var idSources = sync.Pool{New: func() any { return &idSource{off: 16 * idBatch} }}

// newDecisionID returns a random (version 4) UUID in its 36-character form.
func newDecisionID() string {
	src := idSources.Get().(*idSource)
	if src.off == len(src.buf) {
		_, _ = rand.Read(src.buf[:]) // never returns an error; it crashes the program instead
		src.off = 0
	}
	var u [16]byte
	copy(u[:], src.buf[src.off:src.off+16])
	clear(src.buf[src.off : src.off+16]) // an id handed out is not kept around
	src.off += 16
	idSources.Put(src)

	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	var out [36]byte
	hex.Encode(out[0:8], u[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], u[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], u[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], u[8:10])
	out[23] = '-'
	hex.Encode(out[24:], u[10:])
	return string(out[:])
}
