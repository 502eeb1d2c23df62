package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sluice-gw/sluice/pkg/config"
	"github.com/sluice-gw/sluice/pkg/identity/apikey"
)

const keysUsage = `usage:
  sluice keys create --tenant NAME --name NAME [--team T] [--app A] [--owner O]
                     [--role R]... [--label K=V]... [--expires 720h|RFC3339]
  sluice keys hash   < key
`

// runKeys creates API keys and hashes them. Only hashes go in config.
func runKeys(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, keysUsage)
		return 2
	}
	switch args[0] {
	case "create":
		return runKeysCreate(args[1:], time.Now(), os.Stdout, os.Stderr)
	case "hash":
		return runKeysHash(args[1:], os.Stdin, os.Stdout, os.Stderr)
	}
	fmt.Fprintf(os.Stderr, "sluice keys: unknown command %q\n%s", args[0], keysUsage)
	return 2
}

// keyRecord is one identity.api_keys entry, in the field order of the
// schema.
type keyRecord struct {
	ID        string            `yaml:"id"`
	Hash      string            `yaml:"hash"`
	Name      string            `yaml:"name"`
	Tenant    string            `yaml:"tenant"`
	Team      string            `yaml:"team,omitempty"`
	App       string            `yaml:"app,omitempty"`
	Owner     string            `yaml:"owner,omitempty"`
	Roles     []string          `yaml:"roles,omitempty,flow"`
	Labels    map[string]string `yaml:"labels,omitempty,flow"`
	ExpiresAt string            `yaml:"expires_at,omitempty"`
}

// runKeysCreate prints a new key once, then the record to paste into
// config or a keys file. The record is checked as Sluice will read it
// before the key is shown, so a bad flag never costs a key.
func runKeysCreate(args []string, now time.Time, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keys create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var rec keyRecord
	var roles listFlag
	labels := labelFlag{}
	fs.StringVar(&rec.Tenant, "tenant", "", "tenant the key belongs to (required)")
	fs.StringVar(&rec.Name, "name", "", "a label for the key, such as the application using it (required)")
	fs.StringVar(&rec.Team, "team", "", "team within the tenant")
	fs.StringVar(&rec.App, "app", "", "calling application")
	fs.StringVar(&rec.Owner, "owner", "", "whom to ask about the key, usually an email address")
	fs.Var(&roles, "role", "a role of the caller (repeatable)")
	fs.Var(labels, "label", "a label as key=value (repeatable)")
	expires := fs.String("expires", "", `when the key expires: a duration from now ("720h") or an RFC 3339 time`)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if rec.Tenant == "" || rec.Name == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, "sluice keys create: --tenant and --name are required, and nothing else\n"+keysUsage)
		return 2
	}
	rec.Roles, rec.Labels = roles, labels
	if *expires != "" {
		at, err := expiry(*expires, now)
		if err != nil {
			fmt.Fprintln(stderr, "sluice keys create:", err)
			return 2
		}
		rec.ExpiresAt = at.Format(time.RFC3339)
	}
	key, out, err := newKeyRecord(rec)
	if err != nil {
		fmt.Fprintln(stderr, "sluice keys create:", err)
		return 1
	}
	fmt.Fprintln(stderr, "The key is shown once, below; store it now. Sluice keeps only the hash in the record after it.")
	fmt.Fprintf(stdout, "%s\n\n# Add to identity.api_keys, or to the api_keys list of identity.api_keys_file:\n%s", key, out)
	return 0
}

// newKeyRecord generates a key, fills in its id and hash, and renders the
// record as a one-item YAML list, checked by the config loader.
func newKeyRecord(rec keyRecord) (key string, out []byte, err error) {
	key, rec.ID, err = apikey.Generate()
	if err != nil {
		return "", nil, fmt.Errorf("generating key: %w", err)
	}
	if rec.Hash, err = apikey.Hash(key); err != nil {
		return "", nil, err
	}
	out, err = yaml.Marshal([]keyRecord{rec})
	if err != nil {
		return "", nil, fmt.Errorf("rendering record: %w", err)
	}
	check := append([]byte("api_keys:\n"), out...)
	if _, err := (&config.Snapshot{}).ParseAPIKeys("key record", check); err != nil {
		return "", nil, err
	}
	return key, out, nil
}

func expiry(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("--expires must be in the future, got %s", s)
		}
		return now.Add(d).UTC().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf(`--expires: want a duration such as "720h" or an RFC 3339 time, got %q`, s)
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("--expires must be in the future, got %s", s)
	}
	return t.UTC(), nil
}

// runKeysHash reads a key from stdin (a pipe or a paste, never an
// argument, which shell history would keep) and prints its hash.
func runKeysHash(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprint(stderr, "sluice keys hash: reads the key from standard input, not arguments\n"+keysUsage)
		return 2
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(stderr, "sluice keys hash: reading key:", err)
		return 1
	}
	h, err := apikey.Hash(strings.TrimSpace(line))
	if err != nil {
		fmt.Fprintln(stderr, "sluice keys hash:", err)
		return 1
	}
	fmt.Fprintln(stdout, h)
	return 0
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// labelFlag collects repeated key=value flags.
type labelFlag map[string]string

func (l labelFlag) String() string {
	var b bytes.Buffer
	for k, v := range l {
		fmt.Fprintf(&b, "%s=%s ", k, v)
	}
	return strings.TrimSpace(b.String())
}

func (l labelFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", v)
	}
	if _, dup := l[k]; dup {
		return fmt.Errorf("label %q given twice", k)
	}
	l[k] = val
	return nil
}
