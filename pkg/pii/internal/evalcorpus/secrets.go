package main

import (
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strings"
)

var secretGens = []gen{
	{"AWS_ACCESS_KEY", func(r *rand.Rand) string {
		return oneOf(r, "AKIA", "ASIA") + str(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
	}},
	{"GITHUB_TOKEN", func(r *rand.Rand) string {
		if r.IntN(4) == 0 {
			return "github_pat_" + str(r, base62, 22) + "_" + str(r, base62, 59)
		}
		return oneOf(r, "ghp_", "gho_", "ghu_", "ghs_", "ghr_") + str(r, base62, 36)
	}},
	{"GITLAB_TOKEN", func(r *rand.Rand) string { return "glpat-" + str(r, base62+"_-", 20) }},
	{"SLACK_TOKEN", func(r *rand.Rand) string {
		return oneOf(r, "xoxb-", "xoxp-", "xoxa-") + str(r, digits, 12) + "-" + str(r, digits, 12) + "-" + str(r, base62, 24)
	}},
	{"SLACK_WEBHOOK", func(r *rand.Rand) string {
		return "https://hooks.slack.com/services/T" + str(r, upper+digits, 8) + "/B" + str(r, upper+digits, 10) + "/" + str(r, base62, 24)
	}},
	{"OPENAI_API_KEY", func(r *rand.Rand) string {
		if r.IntN(2) == 0 {
			return "sk-proj-" + str(r, base62+"_-", 40+r.IntN(100))
		}
		return "sk-" + str(r, base62, 20) + "T3BlbkFJ" + str(r, base62, 20)
	}},
	{"ANTHROPIC_API_KEY", func(r *rand.Rand) string {
		return "sk-ant-api03-" + str(r, base62+"_-", 93) + "AA"
	}},
	{"GOOGLE_API_KEY", func(r *rand.Rand) string { return "AIza" + str(r, base62+"_-", 35) }},
	{"STRIPE_API_KEY", func(r *rand.Rand) string { return oneOf(r, "sk_test_", "rk_test_") + str(r, base62, 24+r.IntN(75)) }},
	{"JWT", jwt},
	{"PRIVATE_KEY", pem},
	{"SLUICE_API_KEY", sluiceKey},
	{"SECRET", secretValue},
}

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func jwt(r *rand.Rand) string {
	header := b64url(fmt.Sprintf(`{"alg":"%s","typ":"JWT"}`, oneOf(r, "HS256", "RS256", "ES256")))
	payload := b64url(fmt.Sprintf(`{"sub":"%d","name":"%s","iat":%d}`, r.IntN(1e6), firstNames[r.IntN(len(firstNames))], 1700000000+r.IntN(1e7)))
	return header + "." + payload + "." + str(r, base62+"_-", 43)
}

func pem(r *rand.Rand) string {
	label := oneOf(r, "RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY")
	var b strings.Builder
	b.WriteString("-----BEGIN " + label + "-----\n")
	for range 2 + r.IntN(4) {
		b.WriteString(str(r, base62+"+/", 64) + "\n")
	}
	b.WriteString(str(r, base62+"+/", 20) + "==\n")
	b.WriteString("-----END " + label + "-----")
	return b.String()
}

// sluiceKey follows pkg/identity/apikey: prefix, id, '_', secret, and the
// CRC32 of all that as six base62 digits.
func sluiceKey(r *rand.Rand) string {
	body := "sk-sluice-" + str(r, base62, 8) + "_" + str(r, base62, 32)
	c := crc32.ChecksumIEEE([]byte(body))
	var sum [6]byte
	for i := 5; i >= 0; i-- {
		sum[i] = base62[c%62]
		c /= 62
	}
	return body + string(sum[:])
}

// secretValue is a random value; the templates put it after a secret name.
func secretValue(r *rand.Rand) string {
	return str(r, base62, 12+r.IntN(20)) + oneOf(r, "", "!a", "#", "-x", "$9")
}
