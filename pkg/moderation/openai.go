package moderation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// DefaultModel is the moderation model asked when Config.Model is empty.
const DefaultModel = "omni-moderation-latest"

// Config configures a Client.
type Config struct {
	HTTP
	// Model is the moderation model; default DefaultModel.
	Model string
	// Thresholds flag a category whose score reaches the given value, in
	// addition to the categories the service flags itself: for example
	// {"violence": 0.4} to be stricter than the service's own cut-off.
	Thresholds map[string]float64
}

// Client checks text against an OpenAI-compatible moderations endpoint
// (POST {Endpoint}/moderations). It is safe for concurrent use.
type Client struct {
	c          *caller
	model      string
	thresholds map[string]float64
}

var _ Checker = (*Client)(nil)

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	c, err := newCaller("moderation", cfg.HTTP, "/moderations")
	if err != nil {
		return nil, err
	}
	model := cfg.Model
	if model == "" {
		model = DefaultModel
	}
	return &Client{c: c, model: model, thresholds: cfg.Thresholds}, nil
}

type moderationRequest struct {
	Model string `json:"model"`
	Input string `json:"input"`
}

type moderationResponse struct {
	Results []struct {
		Flagged        *bool              `json:"flagged"`
		Categories     map[string]bool    `json:"categories"`
		CategoryScores map[string]float64 `json:"category_scores"`
	} `json:"results"`
}

// Check asks the endpoint about text. Blank text is not sent: there is
// nothing in it to flag.
func (m *Client) Check(ctx context.Context, text string) (Verdict, error) {
	if strings.TrimSpace(text) == "" {
		return Verdict{}, nil
	}
	body, err := json.Marshal(moderationRequest{Model: m.model, Input: text})
	if err != nil {
		return Verdict{}, fmt.Errorf("moderation: %w", err)
	}
	return m.c.check(ctx, body, m.parse)
}

// Stats returns the client's counters.
func (m *Client) Stats() Stats { return m.c.stats() }

// parse reads a moderations answer. One input gives one result; should a
// service split the input and answer with several, any flagged one flags
// the text.
func (m *Client) parse(raw []byte) (Verdict, error) {
	var resp moderationResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return Verdict{}, errors.New("malformed moderation response")
	}
	if len(resp.Results) == 0 {
		return Verdict{}, errors.New("moderation response has no results")
	}
	var v Verdict
	for _, r := range resp.Results {
		if r.Flagged == nil {
			return Verdict{}, errors.New("moderation result has no flagged field")
		}
		v.Flagged = v.Flagged || *r.Flagged
		for cat, on := range r.Categories {
			if on {
				v.Categories = append(v.Categories, cat)
			}
		}
		for cat, limit := range m.thresholds {
			if score, ok := r.CategoryScores[cat]; ok && score >= limit {
				v.Flagged = true
				v.Categories = append(v.Categories, cat)
			}
		}
	}
	slices.Sort(v.Categories)
	v.Categories = slices.Compact(v.Categories)
	if len(v.Categories) > 0 {
		v.Flagged = true
	}
	return v, nil
}
