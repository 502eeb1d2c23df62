package config

import (
	"regexp"
	"strings"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/translate"
)

var (
	// backendName is strict because the name travels as the
	// x-sluice-backend header value and Envoy route match.
	backendName = regexp.MustCompile(`^[a-z0-9_-]+$`)
	envName     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	regionName  = regexp.MustCompile(`^[a-z0-9-]+$`)
)

// providers lists the provider values in the order error messages show them.
var providers = []translate.Provider{
	translate.OpenAI, translate.AzureOpenAI, translate.Anthropic,
	translate.Gemini, translate.Bedrock, translate.OpenAICompatible,
}

func knownProvider(p translate.Provider) bool {
	for _, k := range providers {
		if k == p {
			return true
		}
	}
	return false
}

// validateBackends checks each backend and returns the provider of each
// uniquely named one, for model checks.
func validateBackends(bs []*configv1.Backend, p *problems) map[string]translate.Provider {
	byName := map[string]translate.Provider{}
	first := map[string]string{}
	for i, b := range bs {
		path := index("backends", i)
		name := b.GetName()
		switch {
		case name == "":
			p.add(join(path, "name"), "is required")
		case !backendName.MatchString(name):
			p.add(join(path, "name"), "invalid backend name %q: use lower-case letters, digits, '_' and '-'", name)
		case first[name] != "":
			p.add(join(path, "name"), "duplicate backend name %q (first defined at %s)", name, first[name])
		default:
			first[name] = path
			byName[name] = translate.Provider(b.GetProvider())
		}
		validateBackend(b, path, p)
	}
	return byName
}

func validateBackend(b *configv1.Backend, path string, p *problems) {
	prov := translate.Provider(b.GetProvider())
	switch {
	case prov == "":
		p.add(join(path, "provider"), "is required")
		return
	case !knownProvider(prov):
		p.add(join(path, "provider"), "unknown provider %q (want one of %s)", prov, providerList())
		return
	}
	if b.GetHost() == "" && prov == translate.AzureOpenAI {
		p.add(join(path, "host"), `is required for provider "azure_openai" (your resource's host, such as "myresource.openai.azure.com")`)
	}
	checkHost(b.GetHost(), join(path, "host"), p)
	checkBasePath(b.GetBasePath(), join(path, "base_path"), p)
	checkProviderFields(b, prov, path, p)
	validateCredential(b.GetCredential(), prov, join(path, "credential"), p)
	checkLabels(b.GetLabels(), join(path, "labels"), p)
}

// checkProviderFields rejects settings the provider ignores rather than
// letting a user believe they took effect.
func checkProviderFields(b *configv1.Backend, prov translate.Provider, path string, p *problems) {
	switch {
	case prov == translate.AzureOpenAI && b.GetApiVersion() == "":
		p.add(join(path, "api_version"), `is required for provider "azure_openai" (such as "2024-10-21")`)
	case b.GetApiVersion() != "" && prov != translate.AzureOpenAI && prov != translate.Anthropic:
		p.add(join(path, "api_version"), "is not used by provider %q", prov)
	}
	switch {
	case prov == translate.Bedrock && b.GetRegion() == "":
		p.add(join(path, "region"), `is required for provider "bedrock" (such as "us-east-1")`)
	case b.GetRegion() != "" && prov != translate.Bedrock:
		p.add(join(path, "region"), "is not used by provider %q", prov)
	case b.GetRegion() != "" && !regionName.MatchString(b.GetRegion()):
		p.add(join(path, "region"), "invalid region %q", b.GetRegion())
	}
}

func checkHost(host, path string, p *problems) {
	switch {
	case strings.Contains(host, "://"):
		p.add(path, `want a host such as "api.openai.com", not a URL, got %q`, host)
	case strings.ContainsAny(host, "/?#@ \t"):
		p.add(path, `want a host[:port] such as "api.openai.com", got %q`, host)
	}
}

// checkBasePath wants a clean prefix that provider paths ("/chat/...")
// append to without doubling or losing a slash.
func checkBasePath(bp, path string, p *problems) {
	if bp == "" {
		return
	}
	if !strings.HasPrefix(bp, "/") || strings.HasSuffix(bp, "/") || strings.ContainsAny(bp, "?# ") {
		p.add(path, `want a path such as "/v1": starting with "/", not ending with "/", with no query, got %q`, bp)
	}
}

func providerList() string {
	names := make([]string, len(providers))
	for i, pr := range providers {
		names[i] = string(pr)
	}
	return strings.Join(names, ", ")
}

// validateCredential enforces one source, of the kind the provider takes.
// It never echoes a value: a user who pastes a key where a variable name
// belongs must not see it printed in logs.
func validateCredential(c *configv1.Credential, prov translate.Provider, path string, p *problems) {
	wantAWS := prov == translate.Bedrock
	switch {
	case c == nil && prov == translate.OpenAICompatible:
	case c == nil && wantAWS:
		p.add(path, `is required for provider "bedrock" (set aws)`)
	case c == nil:
		p.add(path, "is required for provider %q (set env or file)", prov)
	case c.GetSource() == nil:
		p.add(path, "set one of env, file, aws")
	case c.GetAws() != nil && !wantAWS:
		p.add(join(path, "aws"), "only bedrock backends use aws credentials")
	case c.GetAws() == nil && wantAWS:
		p.add(path, "bedrock backends need aws credentials, not env or file")
	case c.GetAws() != nil:
		aws := c.GetAws()
		checkEnvName(aws.GetAccessKeyIdEnv(), join(path, "aws.access_key_id_env"), p)
		checkEnvName(aws.GetSecretAccessKeyEnv(), join(path, "aws.secret_access_key_env"), p)
		checkEnvName(aws.GetSessionTokenEnv(), join(path, "aws.session_token_env"), p)
	default:
		checkKeySource(c, path, p)
	}
}

func checkKeySource(c *configv1.Credential, path string, p *problems) {
	switch c.GetSource().(type) {
	case *configv1.Credential_Env:
		if c.GetEnv() == "" {
			p.add(join(path, "env"), "must not be empty")
		}
		checkEnvName(c.GetEnv(), join(path, "env"), p)
	case *configv1.Credential_File:
		if c.GetFile() == "" {
			p.add(join(path, "file"), "must not be empty")
		}
	}
}

func checkEnvName(name, path string, p *problems) {
	if name != "" && !envName.MatchString(name) {
		p.add(path, "is not a valid environment variable name (letters, digits and '_'); the secret itself never goes in config")
	}
}
