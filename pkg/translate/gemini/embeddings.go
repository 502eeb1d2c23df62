package gemini

import (
	"encoding/base64"
	"encoding/binary"
	"math"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
	"github.com/sluice-gw/sluice/pkg/translate/rawjson"
)

// embeddingsBody maps an OpenAI embeddings request to batchEmbedContents,
// one request per input string.
func embeddingsBody(body []byte, model string) ([]byte, error) {
	root, err := oaiwire.ParseBody(body)
	if err != nil {
		return nil, err
	}
	var input, dims gjson.Result
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model", "user":
		case "input":
			input = v
		case "dimensions":
			err = oaiwire.Integer(&dims, k.Str, v)
		case "encoding_format":
			if v.Str != "float" && v.Str != "base64" && v.Type != gjson.Null {
				err = oaiwire.UnsupportedValue(provider, k.Str, `"`+v.String()+`"`)
			}
		default:
			if v.Type != gjson.Null {
				err = oaiwire.Unsupported(provider, k.Str)
			}
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	texts, err := inputTexts(input)
	if err != nil {
		return nil, err
	}
	name := modelName(model)
	out := make([]byte, 0, len(body)+64*len(texts))
	out = append(out, `{"requests":[`...)
	for i, s := range texts {
		if i > 0 {
			out = append(out, ',')
		}
		out = rawjson.AppendString(append(out, `{"model":`...), name)
		out = rawjson.AppendString(append(out, `,"content":{"parts":[{"text":`...), s)
		out = append(out, "}]}"...)
		if dims.Exists() {
			out = append(append(out, `,"outputDimensionality":`...), dims.Raw...)
		}
		out = append(out, '}')
	}
	return append(out, "]}"...), nil
}

func inputTexts(input gjson.Result) ([]string, error) {
	switch {
	case input.Type == gjson.String:
		return []string{input.Str}, nil
	case !input.IsArray():
		return nil, gwerror.Param(gwerror.MissingField, "input", "input must be a string or an array of strings")
	}
	var texts []string
	var err error
	input.ForEach(func(_, v gjson.Result) bool {
		if v.Type != gjson.String {
			// Token-id inputs name tokens of OpenAI's vocabulary, which
			// Gemini cannot read.
			err = oaiwire.UnsupportedValue(provider, "input", "token id input")
			return false
		}
		texts = append(texts, v.Str)
		return true
	})
	if err == nil && len(texts) == 0 {
		err = gwerror.Param(gwerror.MissingField, "input", "input must not be empty")
	}
	return texts, err
}

func embeddingsResponse(req *translate.Request, body []byte) (*translate.Response, error) {
	if !rawjson.Valid(body) {
		return nil, malformed("an embeddings body that is not valid JSON")
	}
	r := gjson.ParseBytes(body)
	embs := r.Get("embeddings")
	if !embs.IsArray() {
		return nil, malformed("an embeddings body without embeddings")
	}
	asBase64 := gjson.GetBytes(req.Body, "encoding_format").Str == "base64"
	out := make([]byte, 0, len(body)+128)
	out = append(out, `{"object":"list","data":[`...)
	i := 0
	var err error
	embs.ForEach(func(_, e gjson.Result) bool {
		values := e.Get("values")
		if !values.IsArray() {
			err = malformed("an embedding without values")
			return false
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = rawjson.AppendInt(append(out, `{"object":"embedding","index":`...), int64(i))
		out = append(out, `,"embedding":`...)
		if asBase64 {
			out = appendFloat32Base64(out, values)
		} else {
			out = rawjson.Compact(out, values.Raw)
		}
		out = append(out, '}')
		i++
		return true
	})
	if err != nil {
		return nil, err
	}
	u := translate.Usage{InputTokens: r.Get("usageMetadata.promptTokenCount").Int()}
	out = rawjson.AppendString(append(out, `],"model":`...), gjson.GetBytes(req.Body, "model").Str)
	out = rawjson.AppendInt(append(out, `,"usage":{"prompt_tokens":`...), u.InputTokens)
	out = rawjson.AppendInt(append(out, `,"total_tokens":`...), u.InputTokens)
	return &translate.Response{Body: append(out, "}}"...), Usage: u}, nil
}

// appendFloat32Base64 writes OpenAI's base64 form: little-endian float32s.
func appendFloat32Base64(dst []byte, values gjson.Result) []byte {
	raw := make([]byte, 0, 4*1024)
	values.ForEach(func(_, v gjson.Result) bool {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(v.Float())))
		return true
	})
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, raw)
	return append(dst, '"')
}
