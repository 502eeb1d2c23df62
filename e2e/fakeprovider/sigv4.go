package fakeprovider

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sigV4Header matches `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/bedrock/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=<64 hex>`.
var sigV4Header = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/,\s]+)/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$`)

const (
	amzDateFormat = "20060102T150405Z"
	maxClockSkew  = 15 * time.Minute
)

// sigV4 is a parsed Authorization header.
type sigV4 struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

func parseSigV4(auth string) (*sigV4, bool) {
	m := sigV4Header.FindStringSubmatch(auth)
	if m == nil {
		return nil, false
	}
	return &sigV4{accessKey: m[1], date: m[2], region: m[3], service: m[4],
		signedHeaders: strings.Split(m[5], ";"), signature: m[6]}, true
}

// verifySigV4 checks a request signed for service the way AWS does: the
// header's format, the credential scope, the clock, and (unless
// formatOnly) the signature itself, recomputed from the secret key. Its
// errors carry AWS's exception names and, on a mismatch, the canonical
// request the fake expected, which is what a signing bug needs to be found.
func verifySigV4(r *http.Request, body []byte, service, accessKey, secret string, now time.Time, formatOnly bool) *apiError {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return errorf(errPermission, "Missing Authentication Token").withCode("MissingAuthenticationTokenException")
	}
	sig, ok := parseSigV4(auth)
	if !ok {
		return errorf(errInvalid, "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters in the AWS4-HMAC-SHA256 format. Authorization=%s", redactSignature(auth)).withCode("IncompleteSignatureException")
	}
	if e := checkScope(r, sig, service, accessKey, now); e != nil || formatOnly {
		return e
	}
	payloadHash := sha256Hex(body)
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHash && h != "UNSIGNED-PAYLOAD" {
		return errorf(errInvalid, "The provided 'x-amz-content-sha256' header does not match what was computed.").withCode("ValidationException")
	} else if h != "" {
		payloadHash = h
	}
	canonical := canonicalRequest(r, sig.signedHeaders, payloadHash)
	scope := strings.Join([]string{sig.date, sig.region, sig.service, "aws4_request"}, "/")
	toSign := "AWS4-HMAC-SHA256\n" + r.Header.Get("X-Amz-Date") + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
	key := []byte("AWS4" + secret)
	for _, part := range []string{sig.date, sig.region, sig.service, "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(sig.signature)) {
		return errorf(errPermission, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'%s'\n\nThe String-to-Sign should have been\n'%s'", canonical, toSign).withCode("InvalidSignatureException")
	}
	return nil
}

func checkScope(r *http.Request, sig *sigV4, service, accessKey string, now time.Time) *apiError {
	if sig.accessKey != accessKey {
		return errorf(errPermission, "The security token included in the request is invalid.").withCode("UnrecognizedClientException")
	}
	if sig.service != service {
		return errorf(errPermission, "Credential should be scoped to correct service: '%s'.", service).withCode("InvalidSignatureException")
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return errorf(errInvalid, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.").withCode("IncompleteSignatureException")
	}
	if !strings.HasPrefix(amzDate, sig.date) {
		return errorf(errPermission, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s'", sig.date, amzDate[:8]).withCode("InvalidSignatureException")
	}
	if d := now.Sub(t); d > maxClockSkew || d < -maxClockSkew {
		return errorf(errPermission, "Signature expired: %s is now earlier than %s.", amzDate, now.Add(-maxClockSkew).UTC().Format(amzDateFormat)).withCode("InvalidSignatureException")
	}
	for _, h := range []string{"host", "x-amz-date"} {
		if !slices.Contains(sig.signedHeaders, h) {
			return errorf(errPermission, "'%s' must be a 'SignedHeader' in the AWS Authorization.", h).withCode("InvalidSignatureException")
		}
	}
	if r.Header.Get("X-Amz-Security-Token") != "" && !slices.Contains(sig.signedHeaders, "x-amz-security-token") {
		return errorf(errPermission, "'x-amz-security-token' must be a 'SignedHeader' in the AWS Authorization.").withCode("InvalidSignatureException")
	}
	return nil
}

// canonicalRequest builds SigV4's canonical request. For every service but
// S3 the path is URI-encoded a second time, so an escaped model id such as
// "anthropic.claude-v2%3A1" is signed as "anthropic.claude-v2%253A1".
func canonicalRequest(r *http.Request, signed []string, payloadHash string) string {
	var sb strings.Builder
	sb.WriteString(r.Method + "\n")
	sb.WriteString(awsEscape(r.URL.EscapedPath(), false) + "\n")
	sb.WriteString(canonicalQuery(r.URL.Query()) + "\n")
	for _, name := range signed {
		sb.WriteString(name + ":" + canonicalHeaderValue(r, name) + "\n")
	}
	sb.WriteString("\n" + strings.Join(signed, ";") + "\n" + payloadHash)
	return sb.String()
}

func canonicalHeaderValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = []string{strconv.FormatInt(r.ContentLength, 10)}
	default:
		vals = r.Header.Values(name)
	}
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

func canonicalQuery(q url.Values) string {
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, awsEscape(k, true)+"="+awsEscape(v, true))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// awsEscape percent-encodes every byte except unreserved characters (and
// '/' unless encodeSlash).
func awsEscape(s string, encodeSlash bool) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && !encodeSlash) {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "%%%02X", c)
		}
	}
	return sb.String()
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	_, _ = m.Write([]byte(data)) // writes to a hash never fail
	return m.Sum(nil)
}

// redactSignature hides the signature so error messages never echo it.
func redactSignature(auth string) string {
	if i := strings.Index(auth, "Signature="); i >= 0 {
		return auth[:i] + "Signature=<redacted>"
	}
	return auth
}
