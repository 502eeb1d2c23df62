package server

import (
	"github.com/sluice-gw/sluice/pkg/extproc"
	"github.com/sluice-gw/sluice/pkg/inbound"
	"github.com/sluice-gw/sluice/pkg/pipeline"
	"github.com/sluice-gw/sluice/pkg/route"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/anthropic"
	"github.com/sluice-gw/sluice/pkg/translate/bedrock"
	"github.com/sluice-gw/sluice/pkg/translate/gemini"
	"github.com/sluice-gw/sluice/pkg/translate/openai"
)

// Translators registers every provider translator Sluice ships.
func Translators() (route.Translators, error) {
	ts := route.Translators{}
	for _, r := range []struct {
		p translate.Provider
		t translate.Translator
	}{
		{translate.OpenAI, openai.New(translate.OpenAI)},
		{translate.AzureOpenAI, openai.New(translate.AzureOpenAI)},
		{translate.OpenAICompatible, openai.New(translate.OpenAICompatible)},
		{translate.Anthropic, anthropic.New()},
		{translate.Gemini, gemini.New()},
		{translate.Bedrock, bedrock.New()},
	} {
		if err := ts.Register(r.p, r.t); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// Pipelines builds Sluice's stage chains. This is the one place the stage
// order is written down; configuration can switch stages' behaviour but
// never reorder them.
func Pipelines() (extproc.Pipelines, error) {
	ts, err := Translators()
	if err != nil {
		return extproc.Pipelines{}, err
	}
	rt := route.New(ts)
	main, err := pipeline.New(pipeline.Stages{
		Headers: []pipeline.HeaderStage{
			inbound.Identify{}, // API from :path
		},
		Request: []pipeline.RequestStage{
			inbound.Parse{},  // the one read of the body
			inbound.Models{}, // GET /v1/models, filtered by policy
			rt,               // translate, set x-sluice-backend and credentials
		},
		Response: []pipeline.ResponseStage{
			rt, // provider format back to the client's format
		},
	})
	if err != nil {
		return extproc.Pipelines{}, err
	}
	// One fallback attempt: the request arrives already checked and
	// decided by the main chain; only translation for this attempt's
	// provider is left.
	at := route.NewAttempt(rt)
	attempt, err := pipeline.New(pipeline.Stages{
		Headers:  []pipeline.HeaderStage{inbound.Identify{}},
		Request:  []pipeline.RequestStage{inbound.Parse{}, at},
		Response: []pipeline.ResponseStage{at},
	})
	if err != nil {
		return extproc.Pipelines{}, err
	}
	return extproc.Pipelines{Main: main, Attempt: attempt}, nil
}
