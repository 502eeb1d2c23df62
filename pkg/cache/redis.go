package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/redis/go-redis/v9"
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// Redis stores entries in the Redis the replicas share, zstd-compressed,
// each under its own key with the entry's TTL as the key's expiry.
type Redis struct {
	// shared returns the client and key prefix; nil when the config has
	// no Redis (the stage then never builds this store).
	shared   func() (*redis.Client, string)
	maxEntry int64
}

// NewRedis returns a Redis store. Entries whose compressed size exceeds
// maxEntry bytes are not stored.
func NewRedis(shared func() (*redis.Client, string), maxEntry int64) *Redis {
	return &Redis{shared: shared, maxEntry: maxEntry}
}

// errNoRedis is returned while the shared Redis is not configured, which
// only a reload in progress can cause.
var errNoRedis = errors.New("cache: no shared redis configured")

var (
	encoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	decoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(64<<20))
	encBufs    = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}
)

func (r *Redis) client() (*redis.Client, string, error) {
	c, prefix := r.shared()
	if c == nil {
		return nil, "", errNoRedis
	}
	return c, prefix + "cache:", nil
}

// Get implements Store.
func (r *Redis) Get(ctx context.Context, key string) (*Entry, bool, error) {
	c, prefix, err := r.client()
	if err != nil {
		return nil, false, err
	}
	raw, err := c.Get(ctx, prefix+key).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("cache: redis get: %w", err)
	}
	plain, err := decoder.DecodeAll(raw, nil)
	if err != nil {
		return nil, false, fmt.Errorf("cache: decompressing entry: %w", err)
	}
	e, err := decodeEntry(plain)
	if err != nil {
		return nil, false, err
	}
	return e, true, nil
}

// Set implements Store.
func (r *Redis) Set(ctx context.Context, key string, e *Entry, ttl time.Duration) error {
	c, prefix, err := r.client()
	if err != nil {
		return err
	}
	bp := encBufs.Get().(*[]byte)
	defer encBufs.Put(bp)
	*bp = encodeEntry((*bp)[:0], e)
	packed := encoder.EncodeAll(*bp, make([]byte, 0, len(*bp)/2))
	if int64(len(packed)) > r.maxEntry {
		return errTooLarge
	}
	if err := c.Set(ctx, prefix+key, packed, ttl).Err(); err != nil {
		return fmt.Errorf("cache: redis set: %w", err)
	}
	return nil
}

// encodeEntry writes an entry as JSON, the body embedded as it is.
func encodeEntry(dst []byte, e *Entry) []byte {
	u := e.Usage
	dst = append(dst, `{"v":1,"stored":`...)
	dst = rawjson.AppendInt(dst, e.Stored.UnixMilli())
	dst = append(dst, `,"usage":[`...)
	for i, n := range [...]int64{u.InputTokens, u.OutputTokens, u.CachedInputTokens, u.CacheWriteTokens, u.ReasoningTokens} {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = rawjson.AppendInt(dst, n)
	}
	dst = append(dst, `],"body":`...)
	dst = append(dst, e.Body...)
	return append(dst, '}')
}

func decodeEntry(b []byte) (*Entry, error) {
	if !gjson.ValidBytes(b) {
		return nil, errors.New("cache: stored entry is not valid JSON")
	}
	r := gjson.ParseBytes(b)
	if r.Get("v").Int() != 1 {
		return nil, fmt.Errorf("cache: stored entry has version %s", r.Get("v").Raw)
	}
	u := r.Get("usage").Array()
	if len(u) != 5 {
		return nil, errors.New("cache: stored entry has no usage")
	}
	body := r.Get("body")
	if !body.IsObject() {
		return nil, errors.New("cache: stored entry has no body")
	}
	return &Entry{
		Body:   []byte(body.Raw),
		Stored: time.UnixMilli(r.Get("stored").Int()),
		Usage: translate.Usage{InputTokens: u[0].Int(), OutputTokens: u[1].Int(),
			CachedInputTokens: u[2].Int(), CacheWriteTokens: u[3].Int(), ReasoningTokens: u[4].Int()},
	}, nil
}
