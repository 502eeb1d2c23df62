package gemini

import (
	"path"
	"strings"
)

func isRemoteURI(uri string) bool {
	for _, p := range []string{"https://", "http://", "gs://"} {
		if len(uri) > len(p) && strings.EqualFold(uri[:len(p)], p) {
			return true
		}
	}
	return false
}

// mimeFromPath guesses the media type of a URL from its extension; an
// unknown extension leaves the type for Gemini to detect.
func mimeFromPath(uri string) string {
	if i := strings.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	switch strings.ToLower(path.Ext(uri)) {
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".heic":
		return "image/heic"
	case ".heif":
		return "image/heif"
	case ".pdf":
		return "application/pdf"
	case ".mp3":
		return "audio/mp3"
	case ".wav":
		return "audio/wav"
	case ".mp4":
		return "video/mp4"
	}
	return ""
}
