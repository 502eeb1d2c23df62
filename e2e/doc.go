// Package e2e holds Sluice's end-to-end tests: the real `sluice` binary,
// started as a child process, behind the Envoy stand-in (or a real Envoy
// when one is on PATH), in front of fake providers that check every
// request the way the real APIs do. Clients are the official OpenAI Go SDK
// and, where the SDK hides details such as status codes or SSE framing,
// plain net/http. See README.md.
package e2e
