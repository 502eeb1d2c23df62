package pii

const (
	maxLocal  = 64
	maxDomain = 253
)

// email is anchored on '@': it walks back over the local part, which the
// scan has already skipped word by word, and forward over the domain. Both
// walks are bounded, so a text of nothing but "a@a@a" stays linear.
func (sc *scan) email(at0 int) hit {
	text := sc.text
	start := at0
	for start > sc.lastEnd && is(text[start-1], cLocal) {
		start--
		if at0-start > maxLocal {
			return hit{}
		}
	}
	if start == at0 || (start > 0 && (is(text[start-1], cLocal) || text[start-1] == '@')) {
		return hit{}
	}
	// A local part neither starts nor ends with a dot, nor holds two in a row.
	if text[start] == '.' || text[at0-1] == '.' {
		return hit{}
	}
	for i := start + 1; i < at0; i++ {
		if text[i] == '.' && text[i-1] == '.' {
			return hit{}
		}
	}
	end := sc.domain(at0 + 1)
	if end == 0 {
		return hit{}
	}
	return hit{t: tEmail, start: start, end: end, score: 0.9}
}

// domain returns the end of a host name of two or more labels starting at
// i, whose last label is at least two letters, or 0.
func (sc *scan) domain(i int) int {
	text := sc.text
	labels, end := 0, 0
	for j := i; ; {
		k := j
		for k < len(text) && k-i <= maxDomain && (is(text[k], cDomain) && text[k] != '.') && (k > j || text[k] != '-') {
			k++
		}
		if k == j || k-j > 63 || text[k-1] == '-' || k-i > maxDomain {
			break
		}
		labels++
		if labels >= 2 && tld(text[j:k]) {
			end = k
		}
		if at(text, k) != '.' || !is(at(text, k+1), cWord) {
			break
		}
		j = k + 1
	}
	if end == 0 {
		return 0
	}
	// The name must end where the domain characters end: "a@b.com-x" or
	// "a@b.co_uk" is not an address we can delimit with confidence.
	if c := at(text, end); is(c, cWord) || c == '-' || c == '@' {
		return 0
	}
	// "git@github.com:org/repo.git" is an SSH remote, a user on a host,
	// not a mailbox.
	if at(text, end) == ':' && (is(at(text, end+1), cWord) || at(text, end+1) == '/' || at(text, end+1) == '~') {
		return 0
	}
	return end
}

func tld(label []byte) bool {
	if len(label) < 2 {
		return false
	}
	for _, c := range label {
		if !is(c, cUpper|cLower) {
			return false
		}
	}
	return true
}
