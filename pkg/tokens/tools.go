package tokens

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// OpenAI renders function definitions into the prompt in its own syntax.
// The cookbook's num_tokens_for_tools reproduces the API's counts for
// flat schemas with these constants: per function, per property list,
// per property, per enum and per enum value, and once after them all.
type toolCosts struct{ funcInit, propInit, propKey, enumInit, enumItem, funcEnd int }

var toolCostsByEncoding = map[Encoding]toolCosts{
	O200k:  {funcInit: 7, propInit: 3, propKey: 3, enumInit: -3, enumItem: 3, funcEnd: 12},
	CL100k: {funcInit: 10, propInit: 3, propKey: 3, enumInit: -3, enumItem: 3, funcEnd: 12},
}

// Anthropic adds a tool-use system prompt whenever tools are present:
// 346 tokens when Claude may choose (auto, none), 313 when it must call
// one (any, a named tool), for current models.
const (
	anthropicToolsAuto     = 346
	anthropicToolsRequired = 313
)

// toolDefs counts tools[] (and the legacy functions[]).
func (c *chat) toolDefs(req *request) {
	if c.rules.format == messagesFormat {
		c.anthropicTools(req)
		return
	}
	var fns []gjson.Result
	for _, t := range req.tools.Array() {
		if fn := t.Get("function"); fn.IsObject() {
			fns = append(fns, fn)
			continue
		}
		c.tools = append(c.tools, t.Raw) // custom tools: their definition as sent
	}
	fns = append(fns, req.functions.Array()...)
	tc := req.toolChoice
	c.functions(fns, tc.IsObject() || tc.String() == "required", "parameters.properties")
}

// functions counts function definitions as the served model's provider
// is sent them: as their JSON, after Claude's tool prompt (required says
// whether a call is forced), to Claude and Gemini; by the cookbook's rule
// to the others, propsPath being where a definition's parameter
// properties are.
func (c *chat) functions(fns []gjson.Result, required bool, propsPath string) {
	if len(fns) == 0 {
		return
	}
	switch c.p.Family {
	case Anthropic:
		c.out.Tools += anthropicToolsAuto
		if required {
			c.out.Tools += anthropicToolsRequired - anthropicToolsAuto
		}
		fallthrough
	case Gemini:
		for _, fn := range fns {
			c.tools = append(c.tools, fn.Raw)
		}
	default:
		c.openAIFunctions(fns, propsPath)
	}
}

// anthropicTools counts an Anthropic body's tools; to OpenAI's models
// their input schema is the parameters.
func (c *chat) anthropicTools(req *request) {
	var defs []gjson.Result
	rawjson.Each(req.tools, func(_ string, t gjson.Result) bool {
		defs = append(defs, t)
		return true
	})
	t := rawjson.Field(req.toolChoice, "type").Str
	c.functions(defs, t == "any" || t == "tool", "input_schema.properties")
}

// openAIFunctions applies the cookbook's rule; propsPath is where a
// function's parameter properties are. Where a schema goes beyond what
// the rule describes (nested objects, arrays, combinators), each further
// keyword is counted as "key:" and its JSON.
func (c *chat) openAIFunctions(fns []gjson.Result, propsPath string) {
	k := toolCostsByEncoding[c.p.Encoding]
	for _, fn := range fns {
		c.out.Tools += k.funcInit
		c.tools = append(c.tools, fn.Get("name").String()+":"+trimDot(fn.Get("description").String()))
		props := fn.Get(propsPath)
		if !props.IsObject() || !hasMembers(props) {
			continue
		}
		c.out.Tools += k.propInit
		props.ForEach(func(name, prop gjson.Result) bool {
			c.out.Tools += k.propKey
			c.property(name.String(), prop, k)
			return true
		})
	}
	c.out.Tools += k.funcEnd
}

func (c *chat) property(name string, prop gjson.Result, k toolCosts) {
	typ := prop.Get("type")
	t := typ.String()
	if typ.IsArray() {
		t = typ.Raw
	}
	c.tools = append(c.tools, name+":"+t+":"+trimDot(prop.Get("description").String()))
	prop.ForEach(func(key, v gjson.Result) bool {
		switch key.String() {
		case "type", "description":
		case "enum":
			c.out.Tools += k.enumInit
			for _, item := range v.Array() {
				c.out.Tools += k.enumItem
				c.tools = append(c.tools, item.String())
			}
		default:
			c.tools = append(c.tools, key.String()+":"+v.Raw)
		}
		return true
	})
}

func hasMembers(obj gjson.Result) bool {
	found := false
	obj.ForEach(func(_, _ gjson.Result) bool { found = true; return false })
	return found
}

func trimDot(s string) string { return strings.TrimSuffix(s, ".") }

// responseFormat counts a json_schema response format as its JSON; no
// provider publishes how the schema is rendered.
func (c *chat) responseFormat(rf gjson.Result) {
	if rf.Get("type").String() == "json_schema" {
		c.tools = append(c.tools, rf.Get("json_schema").Raw)
	}
}
