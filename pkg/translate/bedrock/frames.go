package bedrock

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/sluice-gw/sluice/pkg/gwerror"
)

// AWS event-stream framing: a 12-byte prelude (total length, headers
// length, CRC32 of those 8 bytes), headers, payload, and a CRC32 of
// everything before it. Each header is a 1-byte name length, the name, a
// 1-byte value type and the value.
const (
	preludeLen  = 12
	minFrameLen = preludeLen + 4
	// maxFrameLen bounds the bytes held for one frame: AWS caps a message
	// at 16 MiB of payload and 128 KiB of headers.
	maxFrameLen = 16<<20 + 128<<10 + minFrameLen
)

// message is one decoded frame. Its slices alias the framer's buffer and
// are only valid inside the callback.
type message struct {
	messageType, eventType, exceptionType, errorCode, errorMessage []byte
	payload                                                        []byte
}

// framer cuts a byte stream, split anywhere, into event-stream messages.
// It checks the prelude CRC before waiting for a whole frame, so a corrupt
// length cannot make it buffer megabytes of garbage, then the message CRC,
// then walks the headers in place. The SDK's eventstream.Decoder does the
// same work with some forty allocations per frame; tests check that both
// agree on every input.
type framer struct {
	buf []byte
}

// feed calls fn for every whole frame.
func (f *framer) feed(chunk []byte, fn func(*message) error) error {
	data := chunk
	if len(f.buf) > 0 {
		f.buf = append(f.buf, chunk...)
		data = f.buf
	}
	off := 0
	var m message
	for len(data)-off >= preludeLen {
		rest := data[off:]
		total, headers, err := prelude(rest)
		if err != nil {
			return err
		}
		if len(rest) < total {
			break
		}
		if err := decode(rest[:total], headers, &m); err != nil {
			return err
		}
		off += total
		if err := fn(&m); err != nil {
			return err
		}
	}
	rest := data[off:]
	if len(f.buf) > 0 {
		f.buf = f.buf[:copy(f.buf, rest)]
	} else {
		f.buf = append(f.buf, rest...)
	}
	return nil
}

// prelude validates a frame's first 12 bytes and returns its total and
// headers lengths.
func prelude(p []byte) (total, headers int, err error) {
	t := binary.BigEndian.Uint32(p[0:4])
	h := binary.BigEndian.Uint32(p[4:8])
	if crc32.ChecksumIEEE(p[:8]) != binary.BigEndian.Uint32(p[8:12]) {
		return 0, 0, gwerror.New(gwerror.UpstreamError, "bedrock sent an event-stream frame with a bad prelude checksum")
	}
	if t < minFrameLen || t > maxFrameLen || h > t-minFrameLen {
		return 0, 0, gwerror.New(gwerror.UpstreamError, "bedrock sent an event-stream frame with impossible lengths")
	}
	return int(t), int(h), nil
}

func decode(frame []byte, headers int, m *message) error {
	end := len(frame) - 4
	if crc32.ChecksumIEEE(frame[:end]) != binary.BigEndian.Uint32(frame[end:]) {
		return gwerror.New(gwerror.UpstreamError, "bedrock sent an event-stream frame with a bad message checksum")
	}
	*m = message{payload: frame[preludeLen+headers : end]}
	return m.headers(frame[preludeLen : preludeLen+headers])
}

// headers walks every header, keeping the string values Sluice reads.
func (m *message) headers(h []byte) error {
	for len(h) > 0 {
		n := int(h[0])
		if n == 0 || len(h) < 2+n {
			return errBadHeaders()
		}
		name, typ := h[1:1+n], h[1+n]
		h = h[2+n:]
		size, ok := valueSize(typ, h)
		if !ok || size > len(h) {
			return errBadHeaders()
		}
		if typ == 7 { // string, after its 2-byte length
			v := h[2:size]
			switch string(name) {
			case ":message-type":
				m.messageType = v
			case ":event-type":
				m.eventType = v
			case ":exception-type":
				m.exceptionType = v
			case ":error-code":
				m.errorCode = v
			case ":error-message":
				m.errorMessage = v
			}
		}
		h = h[size:]
	}
	return nil
}

func errBadHeaders() error {
	return gwerror.New(gwerror.UpstreamError, "bedrock sent an event-stream frame with malformed headers")
}

// valueSize is the encoded size of a header value of type typ at h.
func valueSize(typ byte, h []byte) (int, bool) {
	switch typ {
	case 0, 1: // true, false
		return 0, true
	case 2: // byte
		return 1, true
	case 3: // int16
		return 2, true
	case 4: // int32
		return 4, true
	case 5, 8: // int64, timestamp
		return 8, true
	case 9: // uuid
		return 16, true
	case 6, 7: // bytes, string
		if len(h) < 2 {
			return 0, false
		}
		return 2 + int(binary.BigEndian.Uint16(h)), true
	}
	return 0, false
}

// pending reports bytes of an unfinished frame.
func (f *framer) pending() bool { return len(f.buf) > 0 }
