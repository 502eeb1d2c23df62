package bedrock

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/sluice-gw/sluice/pkg/translate"
)

// referenceSignature computes SigV4 from the specification, independently
// of the SDK signer: the canonical URI is the request path escaped once
// more, and the signed headers are content-type, host and x-amz-date.
func referenceSignature(secret, region, host, path, amzDate string, body []byte) string {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	sum := func(b []byte) string {
		s := sha256.Sum256(b)
		return hex.EncodeToString(s[:])
	}
	canonicalURI := strings.ReplaceAll(path, "%", "%25")
	canonical := strings.Join([]string{
		"POST", canonicalURI, "",
		"content-type:application/json\nhost:" + host + "\nx-amz-date:" + amzDate + "\n",
		"content-type;host;x-amz-date",
		sum(body),
	}, "\n")
	day := amzDate[:8]
	scope := day + "/" + region + "/bedrock/aws4_request"
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + sum([]byte(canonical))
	key := mac(mac(mac(mac([]byte("AWS4"+secret), day), region), "bedrock"), "aws4_request")
	return hex.EncodeToString(mac(key, toSign))
}

func header(up *translate.Upstream, key string) string {
	for _, h := range up.Headers {
		if h.Key == key {
			return h.Value
		}
	}
	return ""
}

func TestSignatureMatchesReference(t *testing.T) {
	at := time.Date(2024, 2, 29, 23, 59, 58, 0, time.FixedZone("CET", 3600))
	tr := New(WithClock(func() time.Time { return at }))
	body := []byte(`{"messages":[{"role":"user","content":"héllo"}]}`)
	for _, tc := range []struct{ model, host string }{
		{"anthropic.claude-3-5-sonnet-20240620-v1:0", ""},
		{"arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/abc123", "bedrock.internal.example:8443"},
	} {
		tg := target(tc.model)
		tg.Region = "eu-west-1"
		tg.Host = tc.host
		up, err := tr.Request(&translate.Request{Op: translate.Chat, Body: body}, tg)
		if err != nil {
			t.Fatal(err)
		}
		if got := header(up, "x-amz-date"); got != "20240229T225958Z" {
			t.Errorf("x-amz-date = %q, want the UTC signing time", got)
		}
		want := referenceSignature(tg.Credential.SecretAccessKey, "eu-west-1", Host(tg), up.Path, "20240229T225958Z", up.Body)
		auth := header(up, "authorization")
		if !strings.HasSuffix(auth, "Signature="+want) {
			t.Errorf("%s: authorization = %q, want signature %s", tc.model, auth, want)
		}
		if !strings.Contains(auth, "Credential=AKIDEXAMPLE/20240229/eu-west-1/bedrock/aws4_request") {
			t.Errorf("authorization %q has the wrong scope", auth)
		}
	}
}

func TestSignatureCoversBody(t *testing.T) {
	tr := fixedTranslator()
	sig := func(content string) string {
		up, err := tr.Request(&translate.Request{Op: translate.Chat,
			Body: []byte(`{"messages":[{"role":"user","content":"` + content + `"}]}`)}, target("m"))
		if err != nil {
			t.Fatal(err)
		}
		return header(up, "authorization")
	}
	if sig("a") == sig("b") {
		t.Error("signatures of different bodies are equal")
	}
}

func TestEscapeSegment(t *testing.T) {
	for in, want := range map[string]string{
		"amazon.nova-lite-v1:0":                              "amazon.nova-lite-v1%3A0",
		"arn:aws:bedrock:us-east-1:1:inference-profile/us.x": "arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x",
		"a b~c_d": "a%20b~c_d",
		"\u00e9":  "%C3%A9",
	} {
		if got := escapeSegment(in); got != want {
			t.Errorf("escapeSegment(%q) = %q, want %q", in, got, want)
		}
	}
}
