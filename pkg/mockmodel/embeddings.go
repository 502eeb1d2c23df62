package mockmodel

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
)

const (
	defaultDimensions = 8
	maxDimensions     = 4096
	maxInputs         = 2048
)

// embedInput is one item to embed: text, or a pre-tokenized array.
type embedInput struct {
	key    string // what the vector is derived from
	tokens int64
}

func embeddings(w http.ResponseWriter, body []byte) {
	if !gjson.ValidBytes(body) {
		writeError(w, gwerror.New(gwerror.InvalidJSON, "request body is not valid JSON"))
		return
	}
	root := gjson.ParseBytes(body)
	model := root.Get("model")
	if model.Type != gjson.String || model.Str == "" {
		writeError(w, gwerror.Param(gwerror.MissingField, "model", "you must provide a model parameter"))
		return
	}
	inputs, gerr := readInputs(root.Get("input"))
	if gerr != nil {
		writeError(w, gerr)
		return
	}
	dims := defaultDimensions
	if d := root.Get("dimensions"); d.Exists() && d.Type != gjson.Null {
		if d.Type != gjson.Number || d.Num < 1 || d.Num > maxDimensions || d.Num != math.Trunc(d.Num) {
			writeError(w, gwerror.Param(gwerror.InvalidRequest, "dimensions", "'dimensions' must be an integer from 1 to %d", maxDimensions))
			return
		}
		dims = int(d.Num)
	}
	format := root.Get("encoding_format").String()
	if format != "" && format != "float" && format != "base64" {
		writeError(w, gwerror.Param(gwerror.InvalidRequest, "encoding_format", "'encoding_format' must be \"float\" or \"base64\""))
		return
	}
	writeJSON(w, http.StatusOK, appendEmbeddings(nil, model.Str, inputs, dims, format == "base64"))
}

// readInputs accepts every shape OpenAI does: a string, an array of
// strings, an array of token ids, or an array of token id arrays.
func readInputs(input gjson.Result) ([]embedInput, *gwerror.Error) {
	switch {
	case input.Type == gjson.String:
		if input.Str == "" {
			return nil, gwerror.Param(gwerror.InvalidRequest, "input", "'input' must not be empty")
		}
		return []embedInput{{key: input.Str, tokens: estimateTokens(input.Str)}}, nil
	case !input.IsArray():
		return nil, gwerror.Param(gwerror.MissingField, "input", "'input' must be a string or an array")
	}
	items := input.Array()
	if len(items) == 0 || len(items) > maxInputs {
		return nil, gwerror.Param(gwerror.InvalidRequest, "input", "'input' must hold 1 to %d items", maxInputs)
	}
	if items[0].Type == gjson.Number {
		if !allOfType(items, gjson.Number) {
			return nil, gwerror.Param(gwerror.InvalidRequest, "input", "a token array must hold only integers")
		}
		return []embedInput{{key: input.Raw, tokens: int64(len(items))}}, nil
	}
	out := make([]embedInput, len(items))
	for i, it := range items {
		param := fmt.Sprintf("input[%d]", i)
		switch {
		case it.Type == gjson.String && it.Str != "":
			out[i] = embedInput{key: it.Str, tokens: estimateTokens(it.Str)}
		case it.IsArray() && len(it.Array()) > 0 && allOfType(it.Array(), gjson.Number):
			out[i] = embedInput{key: it.Raw, tokens: int64(len(it.Array()))}
		default:
			return nil, gwerror.Param(gwerror.InvalidRequest, param, "each input must be a non-empty string or token array")
		}
	}
	return out, nil
}

func allOfType(items []gjson.Result, t gjson.Type) bool {
	for _, it := range items {
		if it.Type != t {
			return false
		}
	}
	return true
}

func appendEmbeddings(b []byte, model string, inputs []embedInput, dims int, asBase64 bool) []byte {
	b = append(b, `{"object":"list","data":[`...)
	var total int64
	vec := make([]float32, dims)
	raw := make([]byte, 4*dims)
	for i, in := range inputs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"embedding":`...)
		vector(vec, in.key)
		if asBase64 {
			for j, v := range vec {
				binary.LittleEndian.PutUint32(raw[4*j:], math.Float32bits(v))
			}
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, raw)
			b = append(b, '"')
		} else {
			b = appendFloats(b, vec)
		}
		b = append(b, '}')
		total += in.tokens
	}
	b = append(b, `],"model":`...)
	b = appendString(b, model)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, total, 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, total, 10)
	return append(b, "}}"...)
}

func appendFloats(b []byte, vec []float32) []byte {
	b = append(b, '[')
	for j, v := range vec {
		if j > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(v), 'f', -1, 32)
	}
	return append(b, ']')
}

// vector fills vec with a unit-length vector derived from key, so equal
// inputs embed equally and different inputs almost never collide.
func vector(vec []float32, key string) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key)) // writes to a hash never fail
	state := h.Sum64()
	var norm float64
	for i := range vec {
		state += 0x9e3779b97f4a7c15 // splitmix64
		z := state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		v := float64(z>>11)/(1<<53)*2 - 1
		vec[i] = float32(v)
		norm += v * v
	}
	if norm == 0 {
		return
	}
	scale := 1 / math.Sqrt(norm)
	for i := range vec {
		vec[i] = float32(float64(vec[i]) * scale)
	}
}
