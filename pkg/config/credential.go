package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// CredentialError says why a backend's credential could not be read. It is
// what Backend.Unavailable holds, and it names the variable or file but
// never a secret.
type CredentialError struct {
	Backend string
	Reason  string
	// Err is the underlying cause, such as the os error from reading a file.
	Err error
}

func (e *CredentialError) Error() string {
	return fmt.Sprintf("backend %q has no credential: %s", e.Backend, e.Reason)
}

// Unwrap exposes the cause.
func (e *CredentialError) Unwrap() error { return e.Err }

// Is reports every CredentialError as ErrCredential.
func (e *CredentialError) Is(target error) bool { return target == ErrCredential }

// secrets reads credentials at load time.
type secrets struct {
	lookupEnv func(string) (string, bool)
	// dir is where relative credential file paths start: the config
	// file's own directory, so a config and its secrets can move together.
	dir string
}

// resolve reads one credential. On failure it returns the path of the field
// at fault, relative to the credential, and why.
func (s secrets) resolve(c *configv1.Credential) (translate.Credential, string, string, error) {
	switch src := c.GetSource().(type) {
	case *configv1.Credential_Env:
		key, reason := s.env(src.Env)
		return translate.Credential{APIKey: key}, "env", reason, nil
	case *configv1.Credential_File:
		return s.file(src.File)
	case *configv1.Credential_Aws:
		return s.aws(src.Aws)
	}
	return translate.Credential{}, "", "", nil
}

// env returns the trimmed value of an environment variable, or why not.
func (s secrets) env(name string) (string, string) {
	v, ok := s.lookupEnv(name)
	v = strings.TrimSpace(v)
	switch {
	case !ok:
		return "", fmt.Sprintf("environment variable %s is not set", name)
	case v == "":
		return "", fmt.Sprintf("environment variable %s is empty", name)
	}
	return v, ""
}

func (s secrets) file(name string) (translate.Credential, string, string, error) {
	if !filepath.IsAbs(name) {
		name = filepath.Join(s.dir, name)
	}
	// The operator names this file in their own config; reading it is the
	// point.
	b, err := os.ReadFile(filepath.Clean(name))
	if err != nil {
		return translate.Credential{}, "file", fmt.Sprintf("cannot read credential file: %v", err), err
	}
	key := strings.TrimSpace(string(b))
	if key == "" {
		return translate.Credential{}, "file", fmt.Sprintf("credential file %s is empty", name), nil
	}
	return translate.Credential{APIKey: key}, "", "", nil
}

// aws reads SigV4 credentials. The session token is optional: long-lived
// IAM user keys have none.
func (s secrets) aws(a *configv1.AwsCredential) (translate.Credential, string, string, error) {
	id, reason := s.env(a.GetAccessKeyIdEnv())
	if reason != "" {
		return translate.Credential{}, "aws.access_key_id_env", reason, nil
	}
	secret, reason := s.env(a.GetSecretAccessKeyEnv())
	if reason != "" {
		return translate.Credential{}, "aws.secret_access_key_env", reason, nil
	}
	token, _ := s.lookupEnv(a.GetSessionTokenEnv())
	return translate.Credential{
		AccessKeyID:     id,
		SecretAccessKey: secret,
		SessionToken:    strings.TrimSpace(token),
	}, "", "", nil
}

// resolveSecrets fills each backend's credential. A credential that cannot
// be read marks its backend Unavailable and is returned as a problem, which
// the caller treats as a warning or, when secrets are required, an error.
func resolveSecrets(snap *Snapshot, cfg *configv1.Config, s secrets, p *problems) []error {
	var errs []error
	for i, b := range cfg.GetBackends() {
		if b.GetCredential() == nil {
			continue
		}
		cred, field, reason, err := s.resolve(b.GetCredential())
		backend := snap.Backends[b.GetName()]
		if reason == "" {
			backend.Target.Credential = cred
			continue
		}
		backend.Unavailable = &CredentialError{Backend: b.GetName(), Reason: reason, Err: err}
		path := join(join(index("backends", i), "credential"), field)
		errs = append(errs, &Error{File: p.file, Line: p.line(path), Path: path, Msg: reason, Err: backend.Unavailable})
	}
	return errs
}
