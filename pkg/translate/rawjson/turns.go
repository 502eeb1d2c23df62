package rawjson

// Turns appends a JSON array of {"role":…,"<Items>":[…]} turns. A turn is
// opened by its first item, so no turn is ever empty, and consecutive items
// of one role share a turn: Gemini and Converse reject empty turns, want
// the roles to alternate, and want all tool results of a step together.
//
// The caller writes B up to the array's opening bracket, calls Item before
// appending each item to B, and Close after the last one.
type Turns struct {
	B     []byte
	Items string // the member holding a turn's items: "parts", "content"
	role  string // role of the open turn, "" when none is open
	n     int
}

// Item readies B for the next item of role: a comma within the open turn,
// or a new turn.
func (t *Turns) Item(role string) {
	if t.role == role {
		t.B = append(t.B, ',')
		return
	}
	t.Close()
	if t.n > 0 {
		t.B = append(t.B, ',')
	}
	t.B = append(t.B, `{"role":"`...)
	t.B = append(t.B, role...)
	t.B = append(t.B, `","`...)
	t.B = append(t.B, t.Items...)
	t.B = append(t.B, `":[`...)
	t.role = role
	t.n++
}

// Close ends the open turn, if any.
func (t *Turns) Close() {
	if t.role != "" {
		t.B = append(t.B, "]}"...)
		t.role = ""
	}
}

// Len is the number of turns opened.
func (t *Turns) Len() int { return t.n }

// Text appends the item {"text":s} to a turn of role, the text form that
// Gemini parts and Converse content blocks share. An empty text is
// skipped: both reject it.
func (t *Turns) Text(role, s string) {
	if s == "" {
		return
	}
	t.Item(role)
	t.B = appendText(t.B, s)
}

// AppendTextItem appends {"text":s} to list, a comma-separated list of
// items, skipping an empty s as Turns.Text does.
func AppendTextItem(list []byte, s string) []byte {
	if s == "" {
		return list
	}
	if len(list) > 0 {
		list = append(list, ',')
	}
	return appendText(list, s)
}

func appendText(dst []byte, s string) []byte {
	return append(AppendString(append(dst, `{"text":`...), s), '}')
}
