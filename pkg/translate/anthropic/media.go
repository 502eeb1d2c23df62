package anthropic

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/sluice-gw/sluice/pkg/gwerror"
	"github.com/sluice-gw/sluice/pkg/translate/oaiwire"
)

// appendImage maps a data: URI to a base64 source and an http(s) URL to a
// url source.
func appendImage(b []byte, u gjson.Result, path string) ([]byte, error) {
	url := u.Str
	b = append(sep(b), '{')
	b = str(b, "type", "image")
	b = append(key(b, "source"), '{')
	switch {
	case strings.HasPrefix(url, "data:"):
		mediaType, data, ok := oaiwire.ParseDataURI(url)
		if !ok {
			return nil, gwerror.Param(gwerror.InvalidRequest, path, "image data URI must be base64 encoded (data:<type>;base64,<data>)")
		}
		b = str(b, "type", "base64")
		b = str(b, "media_type", mediaType)
		b = str(b, "data", data)
	case strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://"):
		b = str(b, "type", "url")
		b = raw(b, "url", u.Raw)
	default:
		return nil, gwerror.Param(gwerror.InvalidRequest, path, "image URL must be an http(s) URL or a data URI")
	}
	return append(b, '}', '}'), nil
}

// appendDocument maps an inline PDF file part to a document block. Uploaded
// file ids live in OpenAI's file store, which Anthropic cannot read.
func appendDocument(b []byte, file gjson.Result, path string) ([]byte, error) {
	mediaType, data, ok := oaiwire.ParseDataURI(file.Get("file_data").Str)
	if !ok || mediaType != "application/pdf" {
		return nil, gwerror.Param(gwerror.UnsupportedParam, path,
			"only inline PDF files (file_data as a base64 data URI) are supported by provider anthropic")
	}
	b = append(sep(b), '{')
	b = str(b, "type", "document")
	b = append(key(b, "source"), '{')
	b = str(b, "type", "base64")
	b = str(b, "media_type", mediaType)
	b = append(str(b, "data", data), '}')
	if name := file.Get("filename"); name.Type == gjson.String && name.Str != "" {
		b = raw(b, "title", name.Raw)
	}
	return append(b, '}'), nil
}
