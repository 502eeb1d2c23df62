package config

import (
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// Defaults for settings a config may leave out.
const (
	DefaultGRPCAddress          = ":50051"
	DefaultAdminAddress         = ":9090"
	DefaultShutdownGrace        = 15 * time.Second
	DefaultMaxRequestBodyBytes  = 8 << 20
	DefaultMaxResponseBodyBytes = 16 << 20
	DefaultAnthropicVersion     = "2023-06-01"
)

// defaultHosts are the public endpoints of providers that have one. Azure
// hosts are per resource and openai_compatible servers are the user's own,
// so those have none; Bedrock's depends on the region.
var defaultHosts = map[translate.Provider]string{
	translate.OpenAI:    "api.openai.com",
	translate.Anthropic: "api.anthropic.com",
	translate.Gemini:    "generativelanguage.googleapis.com",
}

// applyDefaults fills unset fields of a validated config in place.
func applyDefaults(cfg *configv1.Config) {
	if cfg.Server == nil {
		cfg.Server = &configv1.Server{}
	}
	s := cfg.Server
	s.GrpcAddress = orDefault(s.GrpcAddress, DefaultGRPCAddress)
	s.AdminAddress = orDefault(s.AdminAddress, DefaultAdminAddress)
	if s.ShutdownGrace == nil {
		s.ShutdownGrace = durationpb.New(DefaultShutdownGrace)
	}
	if cfg.Limits == nil {
		cfg.Limits = &configv1.Limits{}
	}
	if cfg.Limits.MaxRequestBodyBytes == nil {
		cfg.Limits.MaxRequestBodyBytes = proto.Int64(DefaultMaxRequestBodyBytes)
	}
	if cfg.Limits.MaxResponseBodyBytes == nil {
		cfg.Limits.MaxResponseBodyBytes = proto.Int64(DefaultMaxResponseBodyBytes)
	}
	providers := map[string]translate.Provider{}
	for _, b := range cfg.Backends {
		defaultBackend(b)
		providers[b.Name] = translate.Provider(b.Provider)
	}
	for _, m := range cfg.Models {
		p := providers[m.Backend]
		m.UpstreamModel = orDefault(m.UpstreamModel, m.Name)
		if p == translate.AzureOpenAI {
			m.Deployment = orDefault(m.Deployment, m.UpstreamModel)
		}
		m.OwnedBy = orDefault(m.OwnedBy, string(p))
	}
	if cfg.Identity == nil {
		cfg.Identity = &configv1.Identity{}
	}
	defaultIdentity(cfg.Identity)
	defaultPolicy(cfg.Policy)
}

func defaultIdentity(id *configv1.Identity) {
	if id.Jwt == nil {
		id.Jwt = &configv1.Jwt{}
	}
	id.Jwt.MetadataNamespace = orDefault(id.Jwt.MetadataNamespace, DefaultJWTMetadataNamespace)
	id.Jwt.SubjectClaim = orDefault(id.Jwt.SubjectClaim, DefaultJWTSubjectClaim)
	if id.Mtls == nil {
		id.Mtls = &configv1.Mtls{}
	}
	if id.TrustedHeaders == nil {
		id.TrustedHeaders = &configv1.TrustedHeaders{}
	}
	th := id.TrustedHeaders
	th.Tenant = orDefault(th.Tenant, DefaultTenantHeader)
	th.User = orDefault(th.User, DefaultUserHeader)
	th.Team = orDefault(th.Team, DefaultTeamHeader)
	th.Roles = orDefault(th.Roles, DefaultRolesHeader)
}

func defaultBackend(b *configv1.Backend) {
	p := translate.Provider(b.Provider)
	switch p {
	case translate.Bedrock:
		b.Host = orDefault(b.Host, "bedrock-runtime."+b.Region+".amazonaws.com")
	case translate.Anthropic:
		b.ApiVersion = orDefault(b.ApiVersion, DefaultAnthropicVersion)
	}
	b.Host = orDefault(b.Host, defaultHosts[p])
	if aws := b.GetCredential().GetAws(); aws != nil {
		aws.AccessKeyIdEnv = orDefault(aws.AccessKeyIdEnv, "AWS_ACCESS_KEY_ID")
		aws.SecretAccessKeyEnv = orDefault(aws.SecretAccessKeyEnv, "AWS_SECRET_ACCESS_KEY")
		aws.SessionTokenEnv = orDefault(aws.SessionTokenEnv, "AWS_SESSION_TOKEN")
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
