package tokens

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// framing is what a family adds around messages.
type framing struct {
	perMessage int  // every message: OpenAI's <|start|>role ... <|end|>
	roleText   bool // the role's own tokens count too
	perName    int  // a message with a name
	perCall    int  // each tool call in an assistant message
	priming    int  // the assistant reply's opening
	system     bool // system messages are framed like the others
}

// replyPriming is OpenAI's <|start|>assistant<|message|>.
const replyPriming = 3

// The framings. OpenAI's are the cookbook's ("How to count tokens with
// tiktoken"): 3 per message plus the role's tokens, 1 per name, 3 to
// prime the reply. Tool calls have no published framing; 3 per call
// (their JSON wrapper) is ours. Anthropic's 3 per turn and 3 of priming
// ("\n\nHuman:" and "\n\nAssistant:") with an unframed system prompt
// reproduce its published count_tokens example; one token per turn fits
// Gemini's published countTokens examples best.
var framings = map[Family]framing{
	OpenAI:    {perMessage: 3, roleText: true, perName: 1, perCall: 3, priming: replyPriming, system: true},
	Generic:   {perMessage: 3, roleText: true, perName: 1, perCall: 3, priming: replyPriming, system: true},
	Anthropic: {perMessage: 3, perCall: 3, priming: 3},
	Gemini:    {perMessage: 1, system: true},
}

// chat gathers what one request body holds before counting: the texts to
// tokenize by category, and the overheads and images already known.
type chat struct {
	est  *Estimator
	p    Profile
	f    framing
	req  request
	text []string
	pipe *pipeline // when set, message text is counted as it is found
	// parallel says there are other cores; they are started at the first
	// message to count, when enough of the body is left (startPipe).
	parallel bool
	bodyLen  int
	framed   []string // role names and message names
	tools    []string
	out      Estimate
	// opaque is what parts counted by size rather than text add to
	// Text (files and documents), after the factor.
	opaque int

	// The memo's side: what this count depends on, text already counted
	// (messages and tool definitions, before the factor), the message
	// being measured for the memo, and those whose text the other cores
	// are still counting.
	rules              memoRules
	rulesKey           uint64 // rules.key()
	memoText, toolText int
	cur                *pending
	counting           []*pending
}

// chats are pooled: every request a token limit applies to is counted,
// and a pooled chat keeps its slices' room and the walk's state off the
// goroutine's stack.
var chats = sync.Pool{New: func() any { return new(chat) }}

func getChat(e *Estimator, p Profile) *chat {
	c, _ := chats.Get().(*chat)
	text, framed, tools, counting := c.text[:0], c.framed[:0], c.tools[:0], c.counting[:0]
	*c = chat{est: e, p: p, f: framings[p.Family], text: text, framed: framed, tools: tools, counting: counting}
	c.rules = memoRules{family: p.Family, enc: p.Encoding, image: p.Image, urlImage: e.URLImage}
	c.out.Bound = p.Bound
	return c
}

// putChat returns c to the pool without the body's strings, which must
// not be kept alive by it.
func putChat(c *chat) {
	clear(c.text)
	clear(c.framed)
	clear(c.tools)
	clear(c.counting)
	c.req = request{}
	chats.Put(c)
}

// EstimateChat estimates the input tokens of an OpenAI chat completions
// body for the profile's model. The body is read in place, never
// unmarshalled; it is expected to be valid JSON (the parse stage checks,
// so the walk only crosses values, with rawjson.Each), and a malformed
// body gives a best-effort count, not a panic.
func (e *Estimator) EstimateChat(body []byte, p Profile) (Estimate, error) {
	return e.EstimateChatFor(body, p, "")
}

// EstimateChatFor is EstimateChat for a caller in scope, its tenant: the
// counts remembered for one scope are never used for another (memo.go).
func (e *Estimator) EstimateChatFor(body []byte, p Profile, scope string) (Estimate, error) {
	return e.estimate(body, p, scope, chatFormat)
}

// EstimateMessagesFor estimates an Anthropic Messages body (/v1/messages)
// for the profile's model, whichever provider serves it: the system
// prompt, the turns and their content blocks, the tool definitions. It
// reads the body as EstimateChat does.
func (e *Estimator) EstimateMessagesFor(body []byte, p Profile, scope string) (Estimate, error) {
	return e.estimate(body, p, scope, messagesFormat)
}

func (e *Estimator) estimate(body []byte, p Profile, scope string, f format) (Estimate, error) {
	r, err := p.Encoding.table()
	if err != nil {
		return Estimate{}, err
	}
	c := getChat(e, p)
	c.rules.scope, c.rules.format = scope, f
	c.rulesKey = c.rules.key()
	defer putChat(c)
	// One pass over the top level: each Get would rescan the messages.
	// The body is read in place: ParseBytes would copy it whole (400 KB
	// for a 100k-token prompt), and nothing read from it outlives this
	// call (the piece cache copies its keys; the counting goroutines are
	// done before it returns; putChat drops the references).
	top := gjson.Result{Type: gjson.JSON, Raw: unsafe.String(unsafe.SliceData(body), len(body))} //nolint:gosec // read-only view, see above
	rawjson.Each(top, func(k string, v gjson.Result) bool {
		c.req.set(k, v, f)
		return true
	})
	if !c.req.messages.IsArray() {
		return Estimate{}, fmt.Errorf("%w: messages is not an array", ErrBody)
	}
	// Count message text on the other cores while reading the rest, if
	// there is enough of it: GOMAXPROCS takes the scheduler's lock, which
	// every short request would otherwise contend for.
	c.bodyLen = len(body)
	c.parallel = c.bodyLen >= parallelFrom && runtime.GOMAXPROCS(0) > 1
	if c.req.system.Exists() {
		c.memoMessage(r, c.req.system, systemPrompt)
	}
	kind := chatMessage
	if f == messagesFormat {
		kind = anthropicMessage
	}
	rawjson.Each(c.req.messages, func(_ string, m gjson.Result) bool {
		c.memoMessage(r, m, kind)
		return true
	})
	c.out.Framing += c.f.priming
	c.memoTools(r)
	c.responseFormat(c.req.responseFormat)

	text := 0
	if c.pipe != nil {
		text = c.pipe.finish()
		for _, pe := range c.counting {
			pe.e.text = int(pe.n.Load())
			c.memoText += pe.e.text
			remember(pe.e)
		}
	}
	c.out.Text = scale(text+c.memoText+r.countAll(p.Encoding, c.text), p.Factor) + c.opaque
	c.out.Tools += scale(c.toolText+r.countAll(p.Encoding, c.tools), p.Factor)
	c.out.Framing += r.countAll(p.Encoding, c.framed)
	c.out.total()
	return c.out, nil
}

// memoMessage counts one message, from the memo when it holds it. A long
// message not yet there is counted on its own and remembered: at once,
// or when the other cores have finished its text.
func (c *chat) memoMessage(r *ranks, m gjson.Result, kind messageKind) {
	if len(m.Raw) < memoFrom || c.est.noMemo {
		// Only a long message starts the other cores: handing them
		// short ones costs more than it saves (a 100 KB body of 2,500
		// short messages: 0.67 ms counted here, 0.92 ms with them;
		// BenchmarkEstimateManyShort).
		if len(m.Raw) >= memoFrom {
			c.startPipe(r, m.Index)
		}
		c.count(m, kind)
		return
	}
	key := messageKey(c.rulesKey, kind, m.Raw)
	if e := recall(key); e != nil {
		c.memoText += e.text
		c.out.Framing += e.fixed
		c.out.Images += e.images
		c.out.ImageCount += e.imageCount
		c.opaque += e.opaque
		return
	}
	c.startPipe(r, m.Index)
	e := &memoEntry{key: key}
	text, framed, before, opaque := len(c.text), len(c.framed), c.out, c.opaque
	if c.pipe != nil {
		c.cur = &pending{e: e}
	}
	c.count(m, kind)
	cur := c.cur
	c.cur = nil
	e.opaque = c.opaque - opaque
	framing := r.countAll(c.p.Encoding, c.framed[framed:])
	clear(c.framed[framed:])
	c.framed = c.framed[:framed]
	c.out.Framing += framing
	e.fixed = c.out.Framing - before.Framing
	e.images = c.out.Images - before.Images
	e.imageCount = c.out.ImageCount - before.ImageCount
	if cur != nil {
		c.counting = append(c.counting, cur)
		return
	}
	e.text = r.countAll(c.p.Encoding, c.text[text:])
	clear(c.text[text:])
	c.text = c.text[:text]
	c.memoText += e.text
	remember(e)
}

// startPipe starts the other cores at the first message to count when
// what is left of the body from it, at index at, is long enough to share:
// a body the memo holds whole, or all but a short new turn, never starts
// them.
func (c *chat) startPipe(r *ranks, at int) {
	if c.parallel && c.pipe == nil && c.bodyLen-at >= parallelFrom {
		c.pipe = r.pipeline(c.p.Encoding)
	}
}

// messageKind is what a memoised value is: a chat message, an Anthropic
// message, or an Anthropic system prompt.
type messageKind byte

const (
	chatMessage messageKind = iota
	anthropicMessage
	systemPrompt
)

func (c *chat) count(m gjson.Result, kind messageKind) {
	switch kind {
	case chatMessage:
		c.message(m)
	case anthropicMessage:
		c.anthropicMessage(m)
	case systemPrompt:
		c.system(m)
	}
}

// memoTools counts the tool definitions, from the memo when it holds
// them.
func (c *chat) memoTools(r *ranks) {
	req := &c.req
	if len(req.tools.Raw)+len(req.functions.Raw) < memoFrom || c.est.noMemo {
		c.toolDefs(req)
		return
	}
	key := toolsKey(c.rulesKey, req.tools.Raw, req.functions.Raw, req.toolChoice.Raw)
	if e := recall(key); e != nil {
		c.out.Tools += e.fixed
		c.toolText += e.text
		return
	}
	e := &memoEntry{key: key}
	tools, fixed := len(c.tools), c.out.Tools
	c.toolDefs(req)
	e.fixed = c.out.Tools - fixed
	e.text = r.countAll(c.p.Encoding, c.tools[tools:])
	clear(c.tools[tools:])
	c.tools = c.tools[:tools]
	c.toolText += e.text
	remember(e)
}

// request holds the top-level fields the estimate reads.
type request struct {
	messages, tools, functions, toolChoice, responseFormat gjson.Result
	system                                                 gjson.Result // Anthropic's
}

func (r *request) set(key string, v gjson.Result, f format) {
	if f == messagesFormat {
		switch key {
		case "system":
			r.system = v
		case "messages":
			r.messages = v
		case "tools":
			r.tools = v
		case "tool_choice":
			r.toolChoice = v
		}
		return
	}
	switch key {
	case "messages":
		r.messages = v
	case "tools":
		r.tools = v
	case "functions":
		r.functions = v
	case "tool_choice":
		r.toolChoice = v
	case "response_format":
		r.responseFormat = v
	}
}

func (c *chat) message(m gjson.Result) {
	if !m.IsObject() {
		return
	}
	var role string
	hasName := false
	rawjson.Each(m, func(k string, v gjson.Result) bool {
		switch k {
		case "role":
			role = v.String()
		case "name":
			if c.f.perName > 0 {
				hasName = true
				c.framed = append(c.framed, v.String())
			}
		case "content":
			c.content(v)
		case "refusal":
			if v.Type == gjson.String {
				c.addText(v.Str)
			}
		case "tool_calls":
			rawjson.Each(v, func(_ string, call gjson.Result) bool {
				c.call(call.Get("function"))
				return true
			})
		case "function_call":
			if v.IsObject() {
				c.call(v)
			}
		}
		return true
	})
	if role != "system" && role != "developer" || c.f.system {
		c.out.Framing += c.f.perMessage
		if c.f.roleText {
			c.framed = append(c.framed, role)
		}
	}
	if hasName {
		c.out.Framing += c.f.perName
	}
}

// call counts one tool call's name and arguments.
func (c *chat) call(fn gjson.Result) {
	c.out.Framing += c.f.perCall
	c.addText(fn.Get("name").String(), fn.Get("arguments").String())
}

// content counts a message's content: a string, or an array of parts.
// Audio parts are not estimated.
func (c *chat) content(v gjson.Result) {
	switch {
	case v.Type == gjson.String:
		c.addText(v.Str)
	case v.IsArray():
		rawjson.Each(v, func(_ string, part gjson.Result) bool {
			c.part(part)
			return true
		})
	}
}

// partKeys are the members of a content part the count reads, in
// LastFields' order.
var partKeys = [...]string{"type", "text", "refusal", "image_url", "file"}

func (c *chat) part(part gjson.Result) {
	var f [len(partKeys)]gjson.Result
	rawjson.LastFields(part, partKeys[:], f[:])
	switch f[0].String() {
	case "text":
		c.addText(f[1].String())
	case "refusal":
		c.addText(f[2].String())
	case "image_url":
		img := f[3]
		var u [2]gjson.Result
		rawjson.LastFields(img, imageKeys[:], u[:])
		url, detail := u[0].String(), u[1].String()
		if img.Type == gjson.String {
			url = img.Str
		}
		sz := imageSize(url)
		if sz == (Size{}) && !isData(url) {
			sz = c.est.URLImage
		}
		c.out.Images += c.p.Image.Tokens(sz, detail)
		c.out.ImageCount++
	case "file":
		var d [1]gjson.Result
		rawjson.LastFields(f[4], fileKeys[:], d[:])
		data := d[0].Str
		if i := strings.IndexByte(data, ','); i >= 0 && isData(data) {
			data = data[i+1:]
		}
		c.opaque += fileTokens(data)
	}
}

var (
	imageKeys = [...]string{"url", "detail"}
	fileKeys  = [...]string{"file_data"}
)

// fileTokens is what a file (a PDF, most often) sent inline as base64
// is charged: one token per four bytes of its base64, a size-based guess
// (no tokenizer reads a PDF) not measured against providers' usage. A
// file sent by id cannot be measured and is not charged.
func fileTokens(base64 string) int { return perFourBytes(len(base64)) }

// addText queues message text for counting.
func (c *chat) addText(texts ...string) {
	if c.pipe == nil {
		c.text = append(c.text, texts...)
		return
	}
	var dst *atomic.Int64
	if c.cur != nil {
		dst = &c.cur.n
	}
	for _, s := range texts {
		c.pipe.addTo(s, dst)
	}
}

func isData(url string) bool { return len(url) >= 5 && url[:5] == "data:" }
