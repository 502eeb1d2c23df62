package bedrock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
)

// signer is safe for concurrent use; it caches derived signing keys.
var signer = v4.NewSigner()

// Host returns the authority Bedrock requests are signed for: Target.Host
// when set, else the regional bedrock-runtime endpoint. Envoy must send
// the request to this authority or the signature will not match.
func Host(tg *translate.Target) string {
	if tg.Host != "" {
		return tg.Host
	}
	return "bedrock-runtime." + tg.Region + ".amazonaws.com"
}

// sign adds SigV4 headers for the final path and body. The signature
// covers host, content-type, x-amz-date and x-amz-security-token; the body
// is covered through its SHA-256 in the canonical request. content-length
// is left out so a proxy re-framing the body cannot break the signature.
func (t *translator) sign(up *translate.Upstream, tg *translate.Target) error {
	c := tg.Credential
	if tg.Region == "" {
		return gwerror.New(gwerror.Internal, "backend %q has no AWS region", tg.Backend)
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return gwerror.New(gwerror.Internal, "backend %q has no AWS credentials", tg.Backend)
	}
	host := Host(tg)
	r := &http.Request{
		Method: up.Method,
		// Opaque carries the already-escaped path; the signer escapes it
		// once more for the canonical request, as Bedrock expects.
		URL:    &url.URL{Scheme: "https", Host: host, Opaque: "//" + host + up.Path},
		Host:   host,
		Header: http.Header{"Content-Type": {jsonType}},
	}
	sum := sha256.Sum256(up.Body)
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	if err := signer.SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]),
		signedService, tg.Region, t.now()); err != nil {
		return gwerror.Wrap(gwerror.Internal, err, "signing the bedrock request failed")
	}
	up.Headers = append(up.Headers,
		translate.Header{Key: "authorization", Value: r.Header.Get("Authorization")},
		translate.Header{Key: "x-amz-date", Value: r.Header.Get("X-Amz-Date")},
	)
	if tok := r.Header.Get("X-Amz-Security-Token"); tok != "" {
		up.Headers = append(up.Headers, translate.Header{Key: "x-amz-security-token", Value: tok})
	}
	up.Headers = append(up.Headers, translate.Header{Key: "content-type", Value: jsonType})
	return nil
}
