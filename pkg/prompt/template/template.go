// Package template compiles Sluice's prompt templates and renders them.
// A template is split into literal and variable segments once, when it is
// loaded; a call binds its variables (typed, bounded, checked against
// their JSON Schema) and renders the system and user messages by walking
// those segments. Values are inserted as message text, JSON-escaped where
// the messages are encoded, so a value can never end its message, add a
// role or add a field to the request.
package template

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	configv1 "github.com/sluice-gw/sluice/api/sluice/config/v1"
)

// Kind is a variable's type.
type Kind int

// The variable types.
const (
	String Kind = iota
	Number
	Enum
	JSON
)

func (k Kind) String() string {
	switch k {
	case Number:
		return "number"
	case Enum:
		return "enum"
	case JSON:
		return "json"
	}
	return "string"
}

// DefaultMaxLength caps a variable that sets no max_length: characters for
// strings and enums, bytes of encoding for JSON and numbers.
const DefaultMaxLength = 65536

// Variable is one compiled variable.
type Variable struct {
	Name        string
	Kind        Kind
	Required    bool
	Description string
	MaxLength   int
	Values      []string // enum
	// Default is the text a call without the variable gets; HasDefault
	// tells an empty default from none.
	Default    string
	HasDefault bool
	// Schema is a json variable's JSON Schema, compiled; SchemaJSON is its
	// source, for listings.
	Schema     *jsonschema.Schema
	SchemaJSON []byte
}

// Param is one default request parameter: its name and JSON value.
type Param struct {
	Name string
	Raw  []byte
}

// Template is one compiled version of a template.
type Template struct {
	Name, Version, Description string
	Model                      string
	Params                     []Param
	// ResponseFormat is the JSON Schema the answer must follow; nil when
	// the template sets none.
	ResponseFormat []byte
	Vars           []Variable
	system, user   []segment
}

// Names and versions are path segments of /v1/prompts/{name}/versions/{v}.
var (
	nameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	versionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$`)
	varRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
)

// ValidName reports whether s can name a template.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// ValidVersion reports whether s can label a version.
func ValidVersion(s string) bool { return versionRE.MatchString(s) }

// AllowedParams are the parameters a template may default and a call may
// override.
var AllowedParams = []string{
	"temperature", "top_p", "max_tokens", "max_completion_tokens", "seed", "stop",
	"presence_penalty", "frequency_penalty",
}

// FieldError is a problem at a path inside a version
// (variables[1].schema).
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Msg }

func fieldErr(path, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Compile checks one version of the template name and compiles it. Every
// error is a *FieldError; all of them are returned, joined.
func Compile(name, description string, v *configv1.PromptVersion) (*Template, error) {
	t := &Template{Name: name, Version: v.GetVersion(), Description: description, Model: v.GetModel()}
	var errs []error
	if !ValidVersion(t.Version) {
		errs = append(errs, fieldErr("version", "want letters, digits, '.', '_' or '-', at most 32, got %q", t.Version))
	}
	index := map[string]int{}
	for i, pv := range v.GetVariables() {
		path := fmt.Sprintf("variables[%d]", i)
		if _, dup := index[pv.GetName()]; dup {
			errs = append(errs, fieldErr(path+".name", "duplicate variable %q", pv.GetName()))
			continue
		}
		vr, err := compileVar(pv, path)
		if err != nil {
			// Still declared: the texts' references to it are not errors too.
			errs = append(errs, err)
		}
		index[vr.Name] = len(t.Vars)
		t.Vars = append(t.Vars, vr)
	}
	lookup := func(n string) (int, bool) { i, ok := index[n]; return i, ok }
	var err error
	if t.system, err = parseText(v.GetSystem(), lookup); err != nil {
		errs = append(errs, fieldErr("system", "%v", err))
	}
	if v.GetUser() == "" {
		errs = append(errs, fieldErr("user", "is required"))
	} else if t.user, err = parseText(v.GetUser(), lookup); err != nil {
		errs = append(errs, fieldErr("user", "%v", err))
	}
	if t.Params, err = params(v.GetParameters()); err != nil {
		errs = append(errs, err)
	}
	if rf := v.GetResponseFormat(); rf != nil {
		if t.ResponseFormat, _, err = compileSchema(rf, "response_format"); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

func params(s *structpb.Struct) ([]Param, error) {
	var out []Param
	for _, k := range sortedKeys(s.GetFields()) {
		if !slices.Contains(AllowedParams, k) {
			return nil, fieldErr("parameters."+k, "not a template parameter; allowed: %v", AllowedParams)
		}
		raw, err := protojson.Marshal(s.GetFields()[k])
		if err != nil {
			return nil, fieldErr("parameters."+k, "%v", err)
		}
		out = append(out, Param{Name: k, Raw: compact(raw)})
	}
	return out, nil
}

// compileSchema turns a schema written in config into compact JSON and a
// compiled schema. It never loads remote references.
func compileSchema(s *structpb.Struct, path string) ([]byte, *jsonschema.Schema, error) {
	raw, err := protojson.Marshal(s)
	if err != nil {
		return nil, nil, fieldErr(path, "%v", err)
	}
	raw = compact(raw)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, fieldErr(path, "%v", err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(jsonschema.SchemeURLLoader{})
	if err := c.AddResource("sluice:schema", doc); err != nil {
		return nil, nil, fieldErr(path, "%v", err)
	}
	sch, err := c.Compile("sluice:schema")
	if err != nil {
		return nil, nil, fieldErr(path, "not a valid JSON Schema: %s", oneLine(err))
	}
	return raw, sch, nil
}

// oneLine condenses the schema compiler's indented error tree to its
// deepest causes, which say what to fix.
func oneLine(err error) string {
	lines := strings.Split(err.Error(), "\n")
	if len(lines) == 1 {
		return lines[0]
	}
	deepest, depth := []string(nil), -1
	for _, l := range lines[1:] {
		trimmed := strings.TrimLeft(l, " ")
		d := len(l) - len(trimmed)
		trimmed = strings.TrimPrefix(trimmed, "- ")
		switch {
		case d > depth:
			deepest, depth = []string{trimmed}, d
		case d == depth:
			deepest = append(deepest, trimmed)
		}
	}
	return strings.Join(deepest, "; ")
}
