package pii

// ipv4 accepts four dotted decimal octets, each at most 255, that are not
// part of a longer dotted number such as a version or an OID.
func (sc *scan) ipv4(i int) hit {
	text := sc.text
	j := i
	for part := range 4 {
		if part > 0 {
			if at(text, j) != '.' {
				return hit{}
			}
			j++
		}
		v, k := 0, j
		for k < len(text) && k-j < 4 && is(text[k], cDigit) {
			v = v*10 + int(text[k]-'0')
			k++
		}
		if k == j || k-j > 3 || v > 255 {
			return hit{}
		}
		j = k
	}
	if c := at(text, j); is(c, cWord) || c == '.' && is(at(text, j+1), cDigit) {
		return hit{}
	}
	// A four-part version ("Patch 14.2.0.1", "firmware 1.2.3.4") is
	// written exactly like an address; the word right before it tells.
	if hasContext(text, i, 12, versionContext) {
		return hit{}
	}
	return hit{t: tIP, start: i, end: j, score: 0.9}
}

var versionContext = []string{"version", "versión", "patch", "build", "release", "firmware", "update to", "upgrade to"}

// hexStart tries the detectors for words that start with a hex digit:
// IPv6 and MAC addresses. A hex run not followed by ':' or '-' is rejected
// at once, which keeps prose words like "bed" or "face" cheap.
func (sc *scan) hexStart(i int) hit {
	text := sc.text
	h := i
	for h < len(text) && h-i < 5 && is(text[h], cHex) {
		h++
	}
	switch at(text, h) {
	case ':':
		if r := sc.ipv6(i); r.end != 0 {
			return r
		}
		return sc.mac(i, ':')
	case '-':
		return sc.mac(i, '-')
	case '.':
		if h-i == 4 {
			return sc.macDotted(i)
		}
	}
	return hit{}
}

// ipv6 accepts the RFC 4291 text forms: eight groups, or fewer with one
// "::", optionally ending in a dotted IPv4 address.
func (sc *scan) ipv6(i int) hit {
	text := sc.text
	if p := at(text, i-1); is(p, cWord) || p == ':' || p == '.' {
		return hit{}
	}
	j, groups, dcolon, digit := i, 0, false, false
	if text[j] == ':' {
		if at(text, j+1) != ':' {
			return hit{}
		}
		dcolon = true
		j += 2
	}
	for groups < 8 {
		k := j
		for k < len(text) && k-j < 5 && is(text[k], cHex) {
			digit = digit || is(text[k], cDigit)
			k++
		}
		if k == j {
			break
		}
		if at(text, k) == '.' && groups <= 6 {
			v4 := sc.ipv4(j)
			if v4.end == 0 {
				return hit{}
			}
			groups += 2
			j = v4.end
			break
		}
		if k-j > 4 {
			return hit{}
		}
		groups++
		j = k
		if at(text, j) != ':' {
			break
		}
		if at(text, j+1) == ':' {
			if dcolon {
				return hit{}
			}
			dcolon = true
			j += 2
			continue
		}
		if !is(at(text, j+1), cHex) {
			break
		}
		j++
	}
	if dcolon && groups > 7 || !dcolon && groups != 8 || groups == 0 || groups == 1 && !digit {
		return hit{}
	}
	// A zone index ("fe80::1%eth0") belongs to the address it scopes.
	if at(text, j) == '%' && is(at(text, j+1), cWord) {
		k := j + 1
		for k < len(text) && k-j <= 16 && is(text[k], cWord) {
			k++
		}
		if k-j <= 16 {
			j = k
		}
	}
	if c := at(text, j); is(c, cWord) || c == '.' && is(at(text, j+1), cWord) || c == ':' && is(at(text, j+1), cHex) {
		return hit{}
	}
	return hit{t: tIP, start: i, end: j, score: 0.9}
}

// macDotted accepts the Cisco form, three groups of four hex digits joined
// by dots ("0050.56c0.0001"). At least one hex letter is required: twelve
// decimal digits in fours are far more often a serial or an amount.
func (sc *scan) macDotted(i int) hit {
	text := sc.text
	letter := false
	j := i
	for g := range 3 {
		if g > 0 {
			if at(text, j) != '.' {
				return hit{}
			}
			j++
		}
		for k := j; k < j+4; k++ {
			c := at(text, k)
			if !is(c, cHex) {
				return hit{}
			}
			letter = letter || !is(c, cDigit)
		}
		j += 4
	}
	if c := at(text, j); !letter || is(c, cWord) || c == '.' && is(at(text, j+1), cWord) {
		return hit{}
	}
	return hit{t: tMAC, start: i, end: j, score: 0.8}
}

// mac accepts six pairs of hex digits joined by sep.
func (sc *scan) mac(i int, sep byte) hit {
	text := sc.text
	j := i
	for g := range 6 {
		if g > 0 {
			if at(text, j) != sep {
				return hit{}
			}
			j++
		}
		if !is(at(text, j), cHex) || !is(at(text, j+1), cHex) {
			return hit{}
		}
		j += 2
	}
	if c := at(text, j); is(c, cWord) || c == sep && is(at(text, j+1), cHex) {
		return hit{}
	}
	return hit{t: tMAC, start: i, end: j, score: 0.8}
}
