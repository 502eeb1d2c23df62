package main

import "strings"

// benignKinds are the long, task-like prompts a gateway carries every day.
var benignKinds = []kind{
	{"code_review", codeReview},
	{"document_task", documentTask},
	{"email", emailTask},
	{"rag", ragPrompt},
	{"role", roleTask},
	{"multilingual", multilingualTask},
	{"structured", structuredTask},
	{"conversation", conversation},
	{"instruction", instruction},
	{"instruction", instruction},
	// Prose is drawn twice as often: the public training set's injections
	// are often a paragraph of ordinary prose with an attack appended, so
	// a model sees prose as a cue unless benign prose outweighs it.
	{"document_task", documentTask},
	{"rag", ragPrompt},
	{"email", emailTask},
}

func codeReview(g *gen) string {
	code := g.pick(snippets)
	intro := g.fill(g.pick(codeAsks), vars)
	if g.rng.IntN(2) == 0 {
		return intro + "\n\n```\n" + code + "\n```"
	}
	return "```\n" + code + "\n```\n\n" + intro
}

func documentTask(g *gen) string {
	doc := paragraphs(g, 2+g.rng.IntN(4))
	ask := g.fill(g.pick(docAsks), vars)
	if g.rng.IntN(3) == 0 {
		return doc + "\n\n" + ask
	}
	return ask + "\n\n" + doc
}

// paragraphs joins n distinct document paragraphs.
func paragraphs(g *gen, n int) string {
	return strings.Join(g.picks(docParagraphs, n), "\n\n")
}

func emailTask(g *gen) string {
	body := g.fill(g.pick(emails), vars)
	return g.fill(g.pick(emailAsks), vars) + "\n\n" + body
}

func ragPrompt(g *gen) string {
	var b strings.Builder
	b.WriteString(g.pick(ragHeaders))
	for i, p := range g.picks(docParagraphs, 2+g.rng.IntN(3)) {
		b.WriteString("\n\n[" + string(rune('1'+i)) + "] " + p)
	}
	b.WriteString("\n\n" + g.pick(ragQuestionLabels) + " " + g.fill(g.pick(questions), vars))
	return b.String()
}

func roleTask(g *gen) string {
	s := g.fill(g.pick(roles), vars)
	if g.rng.IntN(2) == 0 {
		s += " " + g.fill(g.pick(instructions), vars)
	}
	return s
}

func multilingualTask(g *gen) string {
	s := g.fill(g.pick(foreignTasks), vars)
	if g.rng.IntN(2) == 0 {
		s += "\n\n" + g.pick(foreignDocs)
	}
	return s
}

func structuredTask(g *gen) string {
	return g.fill(g.pick(structuredAsks), vars) + "\n\n" + g.pick(structured)
}

func conversation(g *gen) string {
	turns := g.picks(chatTurns, 3+g.rng.IntN(4))
	var b strings.Builder
	for i, t := range turns {
		who := "User: "
		if i%2 == 1 {
			who = "Assistant: "
		}
		b.WriteString(who + t + "\n")
	}
	b.WriteString("User: " + g.fill(g.pick(questions), vars))
	return b.String()
}

func instruction(g *gen) string {
	return g.fill(g.pick(instructions), vars)
}
