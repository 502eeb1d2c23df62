package tokens

import (
	"fmt"

	"github.com/tidwall/gjson"
)

// EstimateEmbeddings estimates the input tokens of an OpenAI embeddings
// body: input is a string, an array of strings, an array of token ids or
// an array of such arrays (token ids count one each). Embeddings have no
// framing.
func (e *Estimator) EstimateEmbeddings(body []byte, p Profile) (Estimate, error) {
	r, err := p.Encoding.table()
	if err != nil {
		return Estimate{}, err
	}
	input := gjson.GetBytes(body, "input")
	var texts []string
	ids := 0
	switch {
	case input.Type == gjson.String:
		texts = append(texts, input.Str)
	case input.IsArray():
		for _, item := range input.Array() {
			switch {
			case item.Type == gjson.String:
				texts = append(texts, item.Str)
			case item.Type == gjson.Number:
				ids++
			case item.IsArray():
				ids += len(item.Array())
			}
		}
	default:
		return Estimate{}, fmt.Errorf("%w: input is neither text nor tokens", ErrBody)
	}
	out := Estimate{Text: scale(r.countAll(p.Encoding, texts), p.Factor) + ids, Bound: p.Bound}
	out.total()
	return out, nil
}
