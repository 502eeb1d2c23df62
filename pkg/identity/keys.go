package identity

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/identity/apikey"
)

// keyIndex finds a key record by its public id in one map lookup, however
// many keys there are. It is never modified once built; SetKeys swaps in a
// new one.
type keyIndex struct {
	byID map[string]*keyEntry
}

type keyEntry struct {
	rec    *config.APIKey
	digest apikey.Digest
	// subject is the identity's subject, built once rather than per
	// request.
	subject string
}

func newKeyIndex(keys []*config.APIKey) (*keyIndex, error) {
	idx := &keyIndex{byID: make(map[string]*keyEntry, len(keys))}
	for _, k := range keys {
		if _, dup := idx.byID[k.ID]; dup {
			return nil, fmt.Errorf("duplicate key id %q", k.ID)
		}
		d, err := apikey.ParseDigest(k.Hash)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", k.ID, err)
		}
		idx.byID[k.ID] = &keyEntry{rec: k, digest: d, subject: "key:" + k.ID}
	}
	return idx, nil
}

// SetKeys replaces the key records the Resolver accepts, atomically: a
// request resolves against either the old set or the new one.
func (r *Resolver) SetKeys(keys []*config.APIKey) error {
	idx, err := newKeyIndex(keys)
	if err != nil {
		return err
	}
	r.keys.Store(idx)
	return nil
}

// Keys returns how many key records the Resolver accepts now.
func (r *Resolver) Keys() int { return len(r.keys.Load().byID) }

// ReloadKeys reads identity.api_keys_file now and swaps in its records,
// with the config's own. On error the records in use stay.
func (r *Resolver) ReloadKeys() error {
	keys, err := r.snap.ReadAPIKeys()
	if err != nil {
		return err
	}
	return r.SetKeys(keys)
}

// WatchKeys keeps the Resolver's keys in step with identity.api_keys_file
// until ctx is done, reading it once at the start and again whenever it
// changes (including a Kubernetes Secret update, see config.WatchFile).
// Each load reports the number of records to onLoad. A file that does not
// decode or validate is reported to onError and the records in use stay,
// so a typo does not lock every caller out. A file that is gone drops its
// records (the config's own stay) and is reported: deleting the Secret
// revokes its keys. Without a keys file WatchKeys returns nil at once.
func (r *Resolver) WatchKeys(ctx context.Context, onLoad func(keys int), onError func(error)) error {
	path := r.cfg.KeysFile
	if path == "" {
		return nil
	}
	return config.WatchFile(ctx, path,
		func(src []byte) {
			keys, err := r.snap.ParseAPIKeys(path, src)
			if err == nil {
				err = r.SetKeys(keys)
			}
			if err != nil {
				onError(fmt.Errorf("API keys file: %w", err))
				return
			}
			onLoad(len(keys))
		},
		func(err error) {
			if errors.Is(err, fs.ErrNotExist) {
				if serr := r.SetKeys(r.cfg.InlineKeys()); serr != nil {
					err = errors.Join(err, serr)
				}
			}
			onError(fmt.Errorf("API keys file: %w", err))
		})
}
