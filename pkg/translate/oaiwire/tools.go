package oaiwire

import (
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/translate"
)

// EachTool calls fn for every element of tools with its path, its position,
// its function object and the function's name, and stops at the first
// error. Tools that are not functions, and functions without a name, are
// refused.
func EachTool(p translate.Provider, tools gjson.Result, fn func(at string, i int, function gjson.Result, name string) error) error {
	var err error
	i := 0
	tools.ForEach(func(_, tool gjson.Result) bool {
		at := "tools[" + strconv.Itoa(i) + "]"
		if typ := tool.Get("type").Str; typ != "function" {
			err = UnsupportedValue(p, at+".type", strconv.Quote(typ))
			return false
		}
		function := tool.Get("function")
		name := function.Get("name").Str
		if name == "" {
			err = Invalid(at+".function.name", "%s.function.name is required", at)
			return false
		}
		err = fn(at, i, function, name)
		i++
		return err == nil
	})
	return err
}

// Tool choice modes.
const (
	ChoiceAuto     = "auto"
	ChoiceNone     = "none"
	ChoiceRequired = "required"
	ChoiceFunction = "function" // ToolChoice.Function names it
)

// ToolChoice is a request's tool_choice.
type ToolChoice struct {
	Mode     string // ChoiceAuto, ChoiceNone, ChoiceRequired or ChoiceFunction
	Function string // the function a ChoiceFunction forces
}

// ReadToolChoice reads tool_choice: "auto", "none", "required" or
// {"type":"function","function":{"name":…}}. Other forms, such as
// allowed_tools, are refused.
func ReadToolChoice(p translate.Provider, choice gjson.Result) (ToolChoice, error) {
	if choice.Type == gjson.String {
		switch choice.Str {
		case ChoiceAuto, ChoiceNone, ChoiceRequired:
			return ToolChoice{Mode: choice.Str}, nil
		}
		return ToolChoice{}, UnsupportedValue(p, "tool_choice", strconv.Quote(choice.Str))
	}
	if typ := choice.Get("type").Str; typ != "function" {
		return ToolChoice{}, UnsupportedValue(p, "tool_choice.type", strconv.Quote(typ))
	}
	name := choice.Get("function.name").Str
	if name == "" {
		return ToolChoice{}, Invalid("tool_choice.function.name", "tool_choice.function.name is required")
	}
	return ToolChoice{Mode: ChoiceFunction, Function: name}, nil
}
