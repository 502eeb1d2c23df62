package oaiwire

import "strings"

// ParseDataURI splits the base64 data URI that OpenAI content parts carry
// inline media in (image_url.url, file.file_data):
// data:<media type>[;params];base64,<data>. The media type comes back
// lower-cased, since media types are case-insensitive and providers match
// them exactly; the data is returned as it is, still base64. A URI of
// another form, with no media type or with no data, is not ok.
func ParseDataURI(uri string) (mediaType, data string, ok bool) {
	rest, ok := strings.CutPrefix(uri, "data:")
	if !ok {
		return "", "", false
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasSuffix(meta, ";base64") {
		return "", "", false
	}
	mediaType, _, _ = strings.Cut(meta, ";")
	if mediaType == "" || data == "" {
		return "", "", false
	}
	return strings.ToLower(mediaType), data, true
}
