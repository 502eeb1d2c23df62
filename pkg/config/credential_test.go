package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluice-gw/sluice/pkg/translate"
)

func TestCredentials(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "key"), " sk-file \n")
	writeFile(t, filepath.Join(dir, "blank"), "\n\n")
	env := fakeEnv(map[string]string{
		"KEY": "sk-env", "BLANK": "  ", "ID": "AKIA", "SECRET": "shh", "TOKEN": "tok",
	})
	tests := []struct {
		name, backend string
		want          translate.Credential
		warning       string // empty: the credential resolves
	}{
		{"env", "provider: openai\n    credential: {env: KEY}", translate.Credential{APIKey: "sk-env"}, ""},
		{"env unset", "provider: openai\n    credential: {env: NOPE}", translate.Credential{},
			"c.yaml:4: backends[0].credential.env: environment variable NOPE is not set"},
		{"env blank", "provider: openai\n    credential: {env: BLANK}", translate.Credential{},
			"c.yaml:4: backends[0].credential.env: environment variable BLANK is empty"},
		{"file relative", "provider: openai\n    credential: {file: key}", translate.Credential{APIKey: "sk-file"}, ""},
		{"file absolute", "provider: openai\n    credential: {file: " + filepath.Join(dir, "key") + "}", translate.Credential{APIKey: "sk-file"}, ""},
		{"file blank", "provider: openai\n    credential: {file: blank}", translate.Credential{},
			"c.yaml:4: backends[0].credential.file: credential file " + filepath.Join(dir, "blank") + " is empty"},
		{"file missing", "provider: openai\n    credential: {file: gone}", translate.Credential{},
			"c.yaml:4: backends[0].credential.file: cannot read credential file: open " + filepath.Join(dir, "gone") + ": no such file or directory"},
		{"aws", "provider: bedrock\n    region: us-east-1\n    credential: {aws: {access_key_id_env: ID, secret_access_key_env: SECRET, session_token_env: TOKEN}}",
			translate.Credential{AccessKeyID: "AKIA", SecretAccessKey: "shh", SessionToken: "tok"}, ""},
		{"aws without token", "provider: bedrock\n    region: us-east-1\n    credential: {aws: {access_key_id_env: ID, secret_access_key_env: SECRET}}",
			translate.Credential{AccessKeyID: "AKIA", SecretAccessKey: "shh"}, ""},
		{"aws defaults unset", "provider: bedrock\n    region: us-east-1\n    credential: {aws: {}}", translate.Credential{},
			"c.yaml:5: backends[0].credential.aws.access_key_id_env: environment variable AWS_ACCESS_KEY_ID is not set"},
		{"aws secret unset", "provider: bedrock\n    region: us-east-1\n    credential: {aws: {access_key_id_env: ID, secret_access_key_env: NOPE}}", translate.Credential{},
			"c.yaml:5: backends[0].credential.aws.secret_access_key_env: environment variable NOPE is not set"},
		{"none", "provider: openai_compatible", translate.Credential{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "backends:\n  - name: b\n    " + tt.backend + "\nmodels:\n  - name: m\n    backend: b\n"
			name := filepath.Join(dir, "c.yaml")
			snap, err := Parse(name, []byte(src), LoadOptions{ResolveSecrets: true, LookupEnv: env})
			if err != nil {
				t.Fatal(err)
			}
			b := snap.Backends["b"]
			if diff := cmp.Diff(tt.want, b.Target.Credential); diff != "" {
				t.Errorf("Credential (-want +got):\n%s", diff)
			}
			var warnings []string
			for _, w := range snap.Warnings {
				warnings = append(warnings, strings.TrimPrefix(w, dir+string(filepath.Separator)))
			}
			if tt.warning == "" {
				if len(warnings) > 0 || b.Unavailable != nil {
					t.Errorf("warnings %q, unavailable %v; want none", warnings, b.Unavailable)
				}
				return
			}
			if diff := cmp.Diff([]string{tt.warning}, warnings); diff != "" {
				t.Errorf("Warnings (-want +got):\n%s", diff)
			}
			if !errors.Is(b.Unavailable, ErrCredential) {
				t.Errorf("Unavailable = %v, want ErrCredential", b.Unavailable)
			}
			_, err = Parse(name, []byte(src), LoadOptions{RequireSecrets: true, LookupEnv: env})
			if err == nil || !errors.Is(err, ErrCredential) || !errors.Is(err, ErrInvalid) {
				t.Errorf("RequireSecrets: err = %v, want ErrCredential and ErrInvalid", err)
			}
		})
	}
}

func TestCredentialNeverInErrors(t *testing.T) {
	const secret = "sk-live-0123456789"
	srcs := []string{
		"backends:\n  - name: b\n    provider: openai\n    credential: " + secret + "\nmodels: [{name: m, backend: b}]\n",
		"backends:\n  - name: b\n    provider: openai\n    credential: {env: " + secret + "}\nmodels: [{name: m, backend: b}]\n",
		"backends:\n  - name: b\n    provider: openai\n    credential: {api_key: " + secret + "}\nmodels: [{name: m, backend: b}]\n",
		"backends:\n  - name: b\n    provider: openai\n    api_key: " + secret + "\nmodels: [{name: m, backend: b}]\n",
	}
	for i, src := range srcs {
		_, err := Parse("s.yaml", []byte(src), LoadOptions{})
		if err == nil {
			t.Errorf("case %d: Parse succeeded", i)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("case %d: error repeats the secret: %v", i, err)
		}
	}
	// A resolved secret must not appear in the unavailability of another.
	env := fakeEnv(map[string]string{"A": secret})
	snap, err := Parse("s.yaml", []byte("backends:\n  - {name: a, provider: openai, credential: {env: A}}\n  - {name: b, provider: openai, credential: {env: B}}\nmodels: [{name: m, backend: a}, {name: n, backend: b}]\n"), LoadOptions{ResolveSecrets: true, LookupEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(snap.Warnings, "\n"), secret) {
		t.Errorf("warnings repeat the secret: %q", snap.Warnings)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sluice.yaml")
	writeFile(t, path, "backends:\n  - name: openai\n    provider: openai\n    credential:\n      env: SLUICE_TEST_UNSET_KEY\nmodels:\n  - name: gpt-4o\n    backend: openai\n")
	warnings, err := Validate(path, false)
	if err != nil {
		t.Fatalf("Validate(strict=false) = %v", err)
	}
	want := path + ":5: backends[0].credential.env: environment variable SLUICE_TEST_UNSET_KEY is not set"
	if diff := cmp.Diff([]string{want}, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	_, err = Validate(path, true)
	if err == nil || err.Error() != want {
		t.Errorf("Validate(strict=true) = %v, want %s", err, want)
	}
	t.Setenv("SLUICE_TEST_UNSET_KEY", "sk-test")
	if warnings, err := Validate(path, true); err != nil || len(warnings) > 0 {
		t.Errorf("with the key set: %q, %v", warnings, err)
	}
	if _, err := Validate(filepath.Join(dir, "missing.yaml"), false); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Validate(missing) = %v, want fs.ErrNotExist", err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
