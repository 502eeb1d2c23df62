package cache

import "testing"

func TestCacheControl(t *testing.T) {
	for v, want := range map[string]control{
		"":                           {},
		"no-cache":                   {noCache: true},
		"No-Store":                   {noStore: true},
		"max-age=0, no-cache":        {noCache: true},
		" no-store , no-cache ":      {noCache: true, noStore: true},
		`no-cache="set-cookie"`:      {noCache: true},
		"no-cachex, private":         {},
		"max-age=60,must-revalidate": {},
	} {
		if got := cacheControl(v); got != want {
			t.Errorf("cacheControl(%q) = %+v, want %+v", v, got, want)
		}
	}
}

func FuzzCacheControl(f *testing.F) {
	f.Add("max-age=0, no-cache")
	f.Add(`no-store="x", ,,`)
	f.Fuzz(func(_ *testing.T, v string) { _ = cacheControl(v) })
}
