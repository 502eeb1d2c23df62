package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/identity/apikey"
)

var keysNow = time.Date(2026, 11, 21, 14, 3, 0, 0, time.UTC)

func TestKeysCreate(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"--tenant", "acme", "--name", "ranker-prod", "--team", "search", "--app", "ranker",
		"--owner", "alice@acme.example", "--role", "developer", "--role", "admin",
		"--label", "env=prod", "--label", "cost-center=42", "--expires", "720h"}
	if rc := runKeysCreate(args, keysNow, &stdout, &stderr); rc != 0 {
		t.Fatalf("rc = %d, stderr: %s", rc, stderr.String())
	}
	key, record, ok := strings.Cut(stdout.String(), "\n")
	id, valid := apikey.Parse(key)
	if !ok || !valid {
		t.Fatalf("first line %q is not a Sluice key", key)
	}
	if strings.Count(stdout.String(), key) != 1 || strings.Contains(stderr.String(), key[len(apikey.Prefix):]) {
		t.Error("the key is printed more than once")
	}
	// The record is what a keys file holds under api_keys.
	keys, err := (&config.Snapshot{}).ParseAPIKeys("out", []byte("api_keys:\n"+record))
	if err != nil {
		t.Fatalf("record does not load: %v\n%s", err, record)
	}
	want := []*config.APIKey{{
		ID: id, Hash: keys[0].Hash, Name: "ranker-prod", Tenant: "acme", Team: "search", App: "ranker",
		Owner: "alice@acme.example", Roles: []string{"developer", "admin"},
		Labels:    map[string]string{"env": "prod", "cost-center": "42"},
		ExpiresAt: keysNow.Add(720 * time.Hour),
	}}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	if !apikey.Verify(key, keys[0].Hash) {
		t.Error("the record's hash does not verify the printed key")
	}
}

func TestKeysCreateRejects(t *testing.T) {
	tests := []struct {
		name string
		args []string
		rc   int
		msg  string
	}{
		{"no tenant", []string{"--name", "x"}, 2, "--tenant and --name are required"},
		{"no name", []string{"--tenant", "acme"}, 2, "--tenant and --name are required"},
		{"stray argument", []string{"--tenant", "acme", "--name", "x", "extra"}, 2, "nothing else"},
		{"bad label", []string{"--tenant", "acme", "--name", "x", "--label", "novalue"}, 2, "want key=value"},
		{"repeated label", []string{"--tenant", "acme", "--name", "x", "--label", "a=1", "--label", "a=2"}, 2, "given twice"},
		{"invalid label name", []string{"--tenant", "acme", "--name", "x", "--label", "bad key=1"}, 1, "invalid label name"},
		{"role with a space", []string{"--tenant", "acme", "--name", "x", "--role", "data scientist"}, 1, "invalid role"},
		{"past expiry", []string{"--tenant", "acme", "--name", "x", "--expires", "2020-01-01T00:00:00Z"}, 2, "in the future"},
		{"negative expiry", []string{"--tenant", "acme", "--name", "x", "--expires", "-1h"}, 2, "in the future"},
		{"bad expiry", []string{"--tenant", "acme", "--name", "x", "--expires", "30 days"}, 2, "want a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			rc := runKeysCreate(tt.args, keysNow, &stdout, &stderr)
			if rc != tt.rc || !strings.Contains(stderr.String(), tt.msg) {
				t.Errorf("rc = %d, stderr %q; want %d and %q", rc, stderr.String(), tt.rc, tt.msg)
			}
			if stdout.Len() != 0 {
				t.Errorf("printed %q on a failure: a key must not be shown for a record that is not kept", stdout.String())
			}
		})
	}
}

func TestKeysExpiresAt(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if rc := runKeysCreate([]string{"--tenant", "a", "--name", "n", "--expires", "2027-01-01T01:00:00+01:00"}, keysNow, &stdout, &stderr); rc != 0 {
		t.Fatalf("rc = %d: %s", rc, stderr.String())
	}
	if !strings.Contains(stdout.String(), "2027-01-01T00:00:00Z") {
		t.Errorf("expires_at not written in UTC:\n%s", stdout.String())
	}
}

func TestKeysHash(t *testing.T) {
	key, _, err := apikey.Generate()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if rc := runKeysHash(nil, strings.NewReader(key+"\n"), &stdout, &stderr); rc != 0 {
		t.Fatalf("rc = %d: %s", rc, stderr.String())
	}
	h := strings.TrimSuffix(stdout.String(), "\n")
	if !apikey.Verify(key, h) {
		t.Errorf("hash %q does not verify the key", h)
	}
	// Without a trailing newline, as `printf %s "$KEY" |` sends it.
	stdout.Reset()
	if rc := runKeysHash(nil, strings.NewReader(key), &stdout, &stderr); rc != 0 || !apikey.Verify(key, strings.TrimSpace(stdout.String())) {
		t.Errorf("rc = %d, hash %q", rc, stdout.String())
	}

	tests := []struct {
		name  string
		args  []string
		stdin string
		rc    int
	}{
		{"key as an argument", []string{key}, "", 2},
		{"not a Sluice key", nil, "sk-proj-abc\n", 1},
		{"typo", nil, typo(key) + "\n", 1},
		{"empty", nil, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if rc := runKeysHash(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr); rc != tt.rc || stdout.Len() != 0 {
				t.Errorf("rc = %d, stdout %q; want %d and nothing", rc, stdout.String(), tt.rc)
			}
			if strings.Contains(stderr.String(), key[len(apikey.Prefix):]) {
				t.Error("an error message repeats the key")
			}
		})
	}
}

// typo changes one character of the key's secret.
func typo(key string) string {
	c := byte('x')
	if key[20] == c {
		c = 'y'
	}
	return key[:20] + string(c) + key[21:]
}
