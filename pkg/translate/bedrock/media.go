package bedrock

import (
	"path"
	"strings"
)

func imageFormat(sub string) (string, bool) {
	switch sub {
	case "png", "gif", "webp":
		return sub, true
	case "jpeg", "jpg":
		return "jpeg", true
	}
	return "", false
}

func documentFormat(mime string) (string, bool) {
	switch mime {
	case "application/pdf":
		return "pdf", true
	case "text/csv":
		return "csv", true
	case "application/msword":
		return "doc", true
	case "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
		return "docx", true
	case "application/vnd.ms-excel":
		return "xls", true
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return "xlsx", true
	case "text/html":
		return "html", true
	case "text/plain":
		return "txt", true
	case "text/markdown":
		return "md", true
	}
	return "", false
}

func extension(uri string) string {
	if i := strings.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	return path.Ext(uri)
}

// documentName fits a filename to Converse's document name rules (letters,
// digits, single spaces, hyphens, parentheses, square brackets). Without a
// usable filename the part's position names it, which keeps names unique.
func documentName(filename, at string) string {
	base := strings.TrimSuffix(filename, path.Ext(filename))
	var b strings.Builder
	space := false
	for _, r := range base {
		switch {
		case r == ' ':
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		case isAlnum(r) || strings.ContainsRune("-()[]", r):
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
		space = false
	}
	if name := strings.TrimSpace(b.String()); strings.IndexFunc(name, isAlnum) >= 0 {
		return name
	}
	var pos strings.Builder
	pos.WriteString("document")
	for _, f := range strings.FieldsFunc(at, func(r rune) bool { return r < '0' || r > '9' }) {
		pos.WriteString("-" + f)
	}
	return pos.String()
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
