package semcache

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The entries of every replica sharing a prefix go to one Redis stream:
// its IDs order them by time, so a new replica reads the newest backwards
// (warm start) and a running one reads forwards from the last ID it saw
// (sync). The stream is trimmed to about MaxEntries, and by age.
const (
	streamSuffix  = "semcache:entries"
	pageSize      = 1000
	warmTimeout   = 10 * time.Second
	vectorVersion = 1
)

// persister writes entries to, and reads them from, the shared stream. Its
// read position is used only by New and then the Index's loop.
type persister struct {
	redis      func() (*redis.Client, string)
	maxEntries int
	replica    string
	lastID     string // "" until a warm start succeeded
}

func newPersister(r func() (*redis.Client, string), maxEntries int) *persister {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &persister{redis: r, maxEntries: maxEntries, replica: hex.EncodeToString(b[:])}
}

func (p *persister) client() (*redis.Client, string, error) {
	c, prefix := p.redis()
	if c == nil {
		return nil, "", errors.New("no Redis client")
	}
	return c, prefix + streamSuffix, nil
}

func (p *persister) write(ctx context.Context, e *entry) error {
	c, stream, err := p.client()
	if err != nil {
		return err
	}
	return c.XAdd(ctx, &redis.XAddArgs{
		Stream: stream,
		MaxLen: int64(p.maxEntries),
		Approx: true,
		Values: []any{"s", e.scope, "k", e.key, "v", encodeVector(e.vec), "r", p.replica},
	}).Err()
}

// warm loads the newest entries, up to MaxEntries, oldest first so the
// recency order matches the stream's.
func (ix *Index) warm(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, warmTimeout)
	defer cancel()
	p := ix.persist
	c, stream, err := p.client()
	if err != nil {
		ix.log.Warn("semantic cache warm start skipped", "error", err)
		return
	}
	var pages [][]redis.XMessage
	end, n := "+", 0
	for n < ix.maxEntries {
		msgs, err := c.XRevRangeN(ctx, stream, end, "-", int64(min(pageSize, ix.maxEntries-n))).Result()
		if err != nil {
			ix.log.Warn("semantic cache warm start failed; retrying on the next sync", "error", err)
			return
		}
		if len(msgs) == 0 {
			break
		}
		pages = append(pages, msgs)
		n += len(msgs)
		end = "(" + msgs[len(msgs)-1].ID
	}
	p.lastID = "0-0"
	if len(pages) > 0 {
		p.lastID = pages[0][0].ID
	}
	for i := len(pages) - 1; i >= 0; i-- {
		msgs := pages[i]
		for j := len(msgs) - 1; j >= 0; j-- {
			ix.apply(msgs[j], "")
		}
	}
	ix.log.Info("semantic cache warm start", "entries", n)
}

// sync reads the entries other replicas added since the last read, and
// trims entries older than the TTL from the stream.
func (ix *Index) sync(ctx context.Context) {
	p := ix.persist
	if p.lastID == "" {
		// A whole warm start may take longer than one sync's deadline.
		ix.warm(context.WithoutCancel(ctx))
		return
	}
	c, stream, err := p.client()
	if err != nil {
		return
	}
	for range ix.maxEntries/pageSize + 1 {
		res, err := c.XRead(ctx, &redis.XReadArgs{Streams: []string{stream, p.lastID}, Count: pageSize, Block: -1}).Result()
		if errors.Is(err, redis.Nil) {
			break
		}
		if err != nil {
			ix.log.Warn("semantic cache sync failed", "error", err)
			return
		}
		msgs := res[0].Messages
		for _, m := range msgs {
			ix.apply(m, p.replica)
			p.lastID = m.ID
		}
		if len(msgs) < pageSize {
			break
		}
	}
	minID := strconv.FormatInt(ix.now().Add(-ix.ttl).UnixMilli(), 10)
	if err := c.XTrimMinIDApprox(ctx, stream, minID, 0).Err(); err != nil {
		ix.log.Warn("semantic cache trim failed", "error", err)
	}
}

// apply adds one stream entry unless this replica wrote it, it expired,
// or it is malformed.
func (ix *Index) apply(m redis.XMessage, self string) {
	if r, _ := m.Values["r"].(string); self != "" && r == self {
		return
	}
	scope, _ := m.Values["s"].(string)
	key, _ := m.Values["k"].(string)
	raw, _ := m.Values["v"].(string)
	added, err := idTime(m.ID)
	q, qerr := decodeVector([]byte(raw))
	if key == "" || err != nil || qerr != nil {
		ix.log.Debug("semantic cache skipped a malformed stream entry", "id", m.ID)
		return
	}
	if added.Before(ix.now().Add(-ix.ttl)) {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return
	}
	if err := ix.store.add(newEntry(scope, key, q, added), ix.maxEntries); err != nil {
		ix.log.Debug("semantic cache skipped a stream entry", "id", m.ID, "error", err)
	}
}

// idTime is a stream ID's millisecond time.
func idTime(id string) (time.Time, error) {
	ms, _, ok := strings.Cut(id, "-")
	if !ok {
		return time.Time{}, fmt.Errorf("stream ID %q", id)
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("stream ID %q: %w", id, err)
	}
	return time.UnixMilli(n), nil
}

// encodeVector is version, scale (float32, little endian), then one
// signed byte per dimension: 1,540 bytes for 1,536 dimensions.
func encodeVector(q quantized) []byte {
	b := make([]byte, 5, 5+len(q.q))
	b[0] = vectorVersion
	binary.LittleEndian.PutUint32(b[1:], math.Float32bits(q.scale))
	for _, x := range q.q {
		b = append(b, byte(x)) // #nosec G115 -- two's complement reinterpretation, undone by decodeVector
	}
	return b
}

func decodeVector(b []byte) (quantized, error) {
	if len(b) < 6 || b[0] != vectorVersion || len(b)-5 > maxDims {
		return quantized{}, errors.New("bad vector encoding")
	}
	scale := math.Float32frombits(binary.LittleEndian.Uint32(b[1:]))
	if !(scale > 0) || math.IsInf(float64(scale), 0) {
		return quantized{}, errors.New("bad vector scale")
	}
	q := make([]int8, len(b)-5)
	for i, x := range b[5:] {
		q[i] = int8(x) // #nosec G115 -- reinterpreting the byte written by encodeVector
	}
	return quantized{q: q, scale: scale}, nil
}
