package presidio

import (
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(`[{"entity_type":"PERSON","start":0,"end":3,"score":0.9}]`), []byte("Bob smith"))
	f.Add([]byte(`[{"entity_type":"PERSON","start":2,"end":9,"score":0.9},{"entity_type":"LOCATION","start":1,"end":4,"score":1}]`), []byte("\xffé🙂 x"))
	f.Add([]byte(`[{"entity_type":"PERSON","start":-1,"end":3,"score":2}]`), []byte(""))
	c, err := New(Config{Endpoint: "http://presidio", Entities: []string{"PERSON", "LOCATION"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw, text []byte) {
		found, err := c.parse(raw, text)
		if err != nil {
			return
		}
		end := 0
		for _, x := range found {
			if x.Start < end || x.End <= x.Start || x.End > len(text) || x.Score > 1 {
				t.Fatalf("finding %+v in %d bytes after end %d", x, len(text), end)
			}
			end = x.End
		}
	})
}
