package tokens

import (
	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// format is the shape of the body being counted.
type format byte

const (
	chatFormat     format = iota // OpenAI chat completions
	messagesFormat               // Anthropic Messages
)

// system counts an Anthropic system prompt, a string or text blocks. The
// served model's family decides its framing: Claude's is part of the
// prompt, OpenAI's and Gemini's models get it as a system message.
func (c *chat) system(v gjson.Result) {
	c.blocks(v)
	if c.f.system {
		c.out.Framing += c.f.perMessage
		if c.f.roleText {
			c.framed = append(c.framed, "system")
		}
	}
}

// anthropicMessage counts one turn of an Anthropic body.
func (c *chat) anthropicMessage(m gjson.Result) {
	if !m.IsObject() {
		return
	}
	var f [2]gjson.Result
	rawjson.LastFields(m, turnKeys[:], f[:])
	c.blocks(f[1])
	c.out.Framing += c.f.perMessage
	if c.f.roleText {
		c.framed = append(c.framed, f[0].String())
	}
}

var turnKeys = [...]string{"role", "content"}

// blocks counts content: a string, or an array of content blocks.
func (c *chat) blocks(v gjson.Result) {
	if v.Type == gjson.String {
		c.addText(v.Str)
		return
	}
	rawjson.Each(v, func(_ string, b gjson.Result) bool {
		c.block(b)
		return true
	})
}

// The members of a content block the count reads.
var blockKeys = [...]string{bType: "type", bText: "text", bThinking: "thinking", bSource: "source",
	bName: "name", bInput: "input", bContent: "content"}

const (
	bType = iota
	bText
	bThinking
	bSource
	bName
	bInput
	bContent
)

// block counts one content block. Thinking is counted as text (a turn
// that sends it back is charged for it); redacted thinking, search
// results and block types added later are not estimated.
func (c *chat) block(b gjson.Result) {
	var f [len(blockKeys)]gjson.Result
	rawjson.LastFields(b, blockKeys[:], f[:])
	switch f[bType].Str {
	case "text":
		c.addText(f[bText].Str)
	case "thinking":
		c.addText(f[bThinking].Str)
	case "image":
		c.anthropicImage(f[bSource])
	case "document":
		c.document(f[bSource])
	case "tool_use", "server_tool_use":
		c.out.Framing += c.f.perCall
		c.addText(f[bName].Str, f[bInput].Raw)
	case "tool_result":
		c.blocks(f[bContent])
	}
}

var sourceKeys = [...]string{"type", "data", "url", "content"}

// anthropicImage charges an image block by the served model's rule: its
// size read from base64 data, or URLImage for a URL.
func (c *chat) anthropicImage(src gjson.Result) {
	var f [len(sourceKeys)]gjson.Result
	rawjson.LastFields(src, sourceKeys[:], f[:])
	var sz Size
	if f[0].Str == "base64" {
		sz = base64Size(f[1].Str)
	} else {
		sz = c.est.URLImage
	}
	c.out.Images += c.p.Image.Tokens(sz, "")
	c.out.ImageCount++
}

// document charges a document block: a base64 file by its size
// (fileTokens), plain text or content blocks as text. A document given
// by URL cannot be measured and is not charged.
func (c *chat) document(src gjson.Result) {
	var f [len(sourceKeys)]gjson.Result
	rawjson.LastFields(src, sourceKeys[:], f[:])
	switch f[0].Str {
	case "base64":
		c.opaque += fileTokens(f[1].Str)
	case "text":
		c.addText(f[1].Str)
	case "content":
		c.blocks(f[3])
	}
}
