package semcache_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

var update = flag.Bool("update", false, "rewrite testdata/paraphrases.jsonl from the seeded generator")

const paraphraseFile = "testdata/paraphrases.jsonl"

// pair is one line of the paraphrase set: two prompts, whether a cache
// should treat them as the same request, and what kind of pair it is.
type pair struct {
	A     string `json:"a"`
	B     string `json:"b"`
	Match bool   `json:"match"`
	Kind  string `json:"kind"`
}

// intent is one request, phrased several ways, with its slots filled from
// slotValues. Order-sensitive intents have orderSwap: the two slots whose
// exchange changes the meaning. Translations are the same request in
// another language, which a cache must not answer in the wrong one.
type intent struct {
	name         string
	phrasings    []string
	translations []string
	orderSwap    [2]string
}

var intents = []intent{
	{name: "weather", phrasings: []string{
		"What's the weather in {city} today?", "How is the weather today in {city}?",
		"Tell me today's weather forecast for {city}.", "Today's weather in {city}, please."},
		translations: []string{"Quel temps fait-il à {city} aujourd'hui ?", "Wie ist das Wetter heute in {city}?"}},
	{name: "reset-password", phrasings: []string{
		"How do I reset my {product} password?", "What are the steps to reset my {product} password?",
		"I forgot my {product} password, how can I reset it?", "Can you help me reset my password for {product}?"},
		translations: []string{"¿Cómo restablezco mi contraseña de {product}?"}},
	{name: "currency", phrasings: []string{
		"Convert {n} {cur1} to {cur2}.", "How much is {n} {cur1} in {cur2}?",
		"What is {n} {cur1} worth in {cur2}?", "Please convert {n} {cur1} into {cur2}."},
		orderSwap: [2]string{"cur1", "cur2"}},
	{name: "multiply", phrasings: []string{
		"What is {n} times {m}?", "Calculate {n} multiplied by {m}.",
		"What's {n} multiplied by {m}?", "Compute {n} times {m}, please."}},
	{name: "capital", phrasings: []string{
		"What is the capital of {country}?", "Which city is the capital of {country}?",
		"Tell me the capital city of {country}.", "Name the capital of {country}."},
		translations: []string{"Quelle est la capitale du {country} ?", "¿Cuál es la capital de {country}?"}},
	{name: "plot-summary", phrasings: []string{
		"Summarize the plot of {book}.", "Give me a summary of the plot of {book}.",
		"Can you summarise the plot of {book}?", "Write a short summary of {book}'s plot."}},
	{name: "translate", phrasings: []string{
		"Translate '{phrase}' into {language}.", "How do you say '{phrase}' in {language}?",
		"What is '{phrase}' in {language}?", "Translate the phrase '{phrase}' to {language}, please."}},
	{name: "recipe", phrasings: []string{
		"Give me a recipe for {dish}.", "How do I make {dish}?",
		"What's a good recipe for {dish}?", "How can I cook {dish} at home? I need a recipe."},
		translations: []string{"Donne-moi une recette de {dish}.", "Gib mir ein Rezept für {dish}."}},
	{name: "reverse-string", phrasings: []string{
		"Write a {plang} function that reverses a string.", "How do I reverse a string in {plang}?",
		"Show me {plang} code to reverse a string.", "In {plang}, how can I reverse a string?"}},
	{name: "flights", phrasings: []string{
		"Find flights from {city} to {city2} on {day}.", "Show me flights from {city} to {city2} on {day}.",
		"Are there any flights on {day} from {city} to {city2}?", "List {day} flights from {city} to {city2}."},
		orderSwap: [2]string{"city", "city2"}},
	{name: "order-status", phrasings: []string{
		"Where is my order {order}?", "What's the status of order {order}?",
		"Track my order number {order}.", "Can you check the status of my order {order}?"}},
	{name: "cancel-subscription", phrasings: []string{
		"How do I cancel my {product} subscription?", "How can I terminate my subscription to {product}?",
		"I want to cancel my {product} subscription.", "What are the steps to cancel a {product} subscription?"},
		translations: []string{"Wie kündige ich mein {product}-Abonnement?"}},
	{name: "local-time", phrasings: []string{
		"What time is it in {city} right now?", "What's the current time in {city}?",
		"Tell me the local time in {city}.", "Current local time in {city}?"}},
	{name: "distance", phrasings: []string{
		"How far is {city} from {city2}?", "What is the distance between {city} and {city2}?",
		"Distance from {city} to {city2}?", "How far apart are {city} and {city2}?"}},
	{name: "definition", phrasings: []string{
		"What does {word} mean?", "Define {word}.",
		"What is the meaning of the word {word}?", "Give me the definition of {word}."}},
	{name: "days-until", phrasings: []string{
		"How many days until {holiday}?", "How many days are left until {holiday}?",
		"Count the days until {holiday}.", "How many more days until {holiday}?"}},
	{name: "author", phrasings: []string{
		"Who wrote {book}?", "Who is the author of {book}?",
		"Who was {book} written by?", "Tell me who wrote {book}."}},
	{name: "published", phrasings: []string{
		"When was {book} published?", "In what year was {book} first published?",
		"What year was {book} published?", "Tell me the publication year of {book}."}},
	{name: "refund", phrasings: []string{
		"How do I get a refund for my {product} purchase?", "How can I get a refund for {product}?",
		"I'd like a refund for my {product} purchase. What should I do?", "Refund for a {product} purchase: how?"}},
	{name: "workout", phrasings: []string{
		"Suggest a {n}-minute workout for beginners.", "Give me a beginner workout that takes {n} minutes.",
		"What's a good {n} minute workout for a beginner?", "Plan a {n}-minute beginner exercise session."}},
	{name: "units", phrasings: []string{
		"Convert {n} miles to kilometers.", "How many kilometers is {n} miles?",
		"What is {n} miles in km?", "{n} miles in kilometres?"},
		orderSwap: [2]string{"miles", "kilometers"}},
}

var slotValues = map[string][]string{
	"city":     {"Paris", "London", "Tokyo", "Berlin", "Madrid", "Chicago", "Sydney", "Toronto", "Lagos", "Mumbai", "Seoul", "Lima"},
	"country":  {"France", "Japan", "Canada", "Kenya", "Brazil", "Norway", "Egypt", "Peru", "Chile", "Mexico"},
	"product":  {"Acme Cloud", "PhotoVault", "MailBox Pro", "StreamPlus", "NoteHub", "FitTrack"},
	"cur":      {"USD", "EUR", "GBP", "JPY", "CHF", "CAD"},
	"book":     {"Pride and Prejudice", "Moby Dick", "War and Peace", "The Hobbit", "Dracula", "Frankenstein", "Middlemarch"},
	"phrase":   {"good morning", "thank you very much", "where is the train station", "I am hungry", "see you tomorrow"},
	"language": {"French", "German", "Spanish", "Italian", "Japanese", "Portuguese"},
	"dish":     {"lasagna", "pad thai", "pancakes", "guacamole", "ramen", "paella", "risotto", "falafel"},
	"plang":    {"Python", "Go", "Rust", "Java", "Kotlin", "Ruby", "Haskell"},
	"day":      {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"},
	"word":     {"serendipity", "ephemeral", "ubiquitous", "pragmatic", "melancholy", "eloquent"},
	"holiday":  {"Christmas", "Halloween", "New Year", "Easter", "Thanksgiving"},
}

// negationPairs and antonymPairs differ in one word that reverses the
// request.
var negationPairs = [][2]string{
	{"Which fruits are safe for dogs to eat?", "Which fruits are not safe for dogs to eat?"},
	{"List hotels in {city} that allow pets.", "List hotels in {city} that do not allow pets."},
	{"Show me flights to {city2} with a layover.", "Show me flights to {city2} without a layover."},
	{"Give me a recipe for {dish} with eggs.", "Give me a recipe for {dish} without eggs."},
	{"Should I take ibuprofen with food?", "Should I take ibuprofen without food?"},
	{"What can I eat during pregnancy?", "What can I not eat during pregnancy?"},
	{"Which {plang} features are deprecated?", "Which {plang} features are not deprecated?"},
	{"Recommend a movie that is suitable for kids.", "Recommend a movie that is not suitable for kids."},
	{"Why does my {product} sync work?", "Why doesn't my {product} sync work?"},
}

var antonymPairs = [][2]string{
	{"How do I enable notifications in {product}?", "How do I disable notifications in {product}?"},
	{"How do I upload files to {product}?", "How do I download files from {product}?"},
	{"How do I encrypt a file in {plang}?", "How do I decrypt a file in {plang}?"},
	{"Should I buy {cur1} now?", "Should I sell {cur1} now?"},
	{"How do I increase the font size in {product}?", "How do I decrease the font size in {product}?"},
	{"How do I import contacts into {product}?", "How do I export contacts from {product}?"},
}

// topicPairs are different intents about the same thing.
var topicPairs = [][2]string{
	{"weather", "local-time"}, {"author", "published"}, {"author", "plot-summary"},
	{"reset-password", "cancel-subscription"}, {"cancel-subscription", "refund"}, {"capital", "weather"},
}

var (
	prefixes = []string{"", "Please, ", "Hey, ", "Hi! ", "Quick question: ", "Could you tell me: "}
	suffixes = []string{"", " Thanks!", " Thank you.", " Thanks in advance."}
)

// generate builds the paraphrase set from a fixed seed.
func generate() []pair {
	r := rand.New(rand.NewPCG(20261122, 1))
	byName := map[string]intent{}
	var out []pair
	for _, in := range intents {
		byName[in.name] = in
		out = append(out, positives(r, in)...)
		out = append(out, negatives(r, in)...)
	}
	for _, tp := range topicPairs {
		for range 4 {
			s := slots(r)
			a, b := byName[tp[0]], byName[tp[1]]
			out = append(out, pair{A: fill(pick(r, a.phrasings), s), B: fill(pick(r, b.phrasings), s), Kind: "topic"})
		}
	}
	out = append(out, fixedPairs(r, "negation", negationPairs)...)
	out = append(out, fixedPairs(r, "antonym", antonymPairs)...)
	return out
}

func positives(r *rand.Rand, in intent) []pair {
	var out []pair
	for range 6 {
		s := slots(r)
		i, j := distinct(r, len(in.phrasings))
		out = append(out, pair{A: fill(in.phrasings[i], s), B: perturb(r, fill(in.phrasings[j], s), false), Match: true, Kind: "reword"})
	}
	for range 2 {
		s := slots(r)
		p := pick(r, in.phrasings)
		out = append(out, pair{A: fill(p, s), B: perturb(r, fill(p, s), false), Match: true, Kind: "filler"})
	}
	for range 3 {
		s := slots(r)
		p := pick(r, in.phrasings)
		out = append(out, pair{A: fill(p, s), B: perturb(r, fill(p, s), true), Match: true, Kind: "typo"})
	}
	return out
}

func negatives(r *rand.Rand, in intent) []pair {
	var out []pair
	joined := strings.Join(in.phrasings, " ")
	for _, slot := range []string{"city", "country", "product", "book", "phrase", "language", "dish", "plang", "day", "word", "holiday", "cur1"} {
		if !strings.Contains(joined, "{"+slot+"}") {
			continue
		}
		for range 4 {
			s := slots(r)
			t := s.clone()
			for t[slot] == s[slot] {
				t[slot] = pick(r, slotValues[strings.TrimSuffix(slot, "1")])
			}
			i, j := r.IntN(len(in.phrasings)), r.IntN(len(in.phrasings))
			out = append(out, pair{A: fill(in.phrasings[i], s), B: fill(in.phrasings[j], t), Kind: "entity"})
		}
		break
	}
	for _, slot := range []string{"n", "m", "order"} {
		if !strings.Contains(joined, "{"+slot+"}") {
			continue
		}
		for range 4 {
			s := slots(r)
			t := s.clone()
			t[slot] = strconv.Itoa(nearby(r, s[slot]))
			i, j := r.IntN(len(in.phrasings)), r.IntN(len(in.phrasings))
			out = append(out, pair{A: fill(in.phrasings[i], s), B: fill(in.phrasings[j], t), Kind: "number"})
		}
		break
	}
	if in.orderSwap[0] != "" {
		var both []string
		for _, p := range in.phrasings {
			if strings.Contains(swap(p, in.orderSwap), "\x01") {
				both = append(both, p)
			}
		}
		for range 4 {
			s := slots(r)
			p := pick(r, both)
			swapped := strings.ReplaceAll(swap(p, in.orderSwap), "\x01", "")
			out = append(out, pair{A: fill(p, s), B: fill(swapped, s), Kind: "order"})
		}
	}
	for _, tr := range in.translations {
		for range 2 {
			s := slots(r)
			out = append(out, pair{A: fill(pick(r, in.phrasings), s), B: fill(tr, s), Kind: "language"})
		}
	}
	return out
}

func fixedPairs(r *rand.Rand, kind string, list [][2]string) []pair {
	var out []pair
	for _, p := range list {
		for range 3 {
			s := slots(r)
			out = append(out, pair{A: fill(p[0], s), B: fill(p[1], s), Kind: kind})
		}
	}
	return out
}

type slotSet map[string]string

func (s slotSet) clone() slotSet {
	t := slotSet{}
	for k, v := range s {
		t[k] = v
	}
	return t
}

func slots(r *rand.Rand) slotSet {
	s := slotSet{}
	for _, name := range []string{"city", "country", "product", "book", "phrase", "language", "dish", "plang", "day", "word", "holiday"} {
		s[name] = pick(r, slotValues[name])
	}
	s["city2"] = s["city"]
	for s["city2"] == s["city"] {
		s["city2"] = pick(r, slotValues["city"])
	}
	s["cur1"] = pick(r, slotValues["cur"])
	s["cur2"] = s["cur1"]
	for s["cur2"] == s["cur1"] {
		s["cur2"] = pick(r, slotValues["cur"])
	}
	s["n"] = strconv.Itoa(2 + r.IntN(98))
	s["m"] = strconv.Itoa(2 + r.IntN(98))
	s["order"] = strconv.Itoa(100000 + r.IntN(900000))
	return s
}

// nearby is a different number that looks like v: off by one, a digit
// changed, or doubled.
func nearby(r *rand.Rand, v string) int {
	n, _ := strconv.Atoi(v)
	switch r.IntN(3) {
	case 0:
		return n + 1
	case 1:
		return n + 10
	default:
		return n * 2
	}
}

func fill(t string, s slotSet) string {
	for k, v := range s {
		t = strings.ReplaceAll(t, "{"+k+"}", v)
	}
	return t
}

// swap exchanges two slots (or two literal words) in a template, and
// marks the result with \x01 when both were there.
func swap(t string, pair [2]string) string {
	a, b := "{"+pair[0]+"}", "{"+pair[1]+"}"
	if !strings.Contains(t, a) {
		a, b = pair[0], pair[1]
	}
	if !strings.Contains(t, a) || !strings.Contains(t, b) {
		return t
	}
	t = strings.ReplaceAll(t, a, "\x00")
	t = strings.ReplaceAll(t, b, a)
	return strings.ReplaceAll(t, "\x00", b) + "\x01"
}

// perturb adds what people add without changing the request: a greeting,
// thanks, different case, dropped punctuation, and (with typo) one pair of
// swapped letters.
func perturb(r *rand.Rand, s string, typo bool) string {
	s = pick(r, prefixes) + s + pick(r, suffixes)
	switch r.IntN(4) {
	case 0:
		s = strings.ToLower(s)
	case 1:
		s = strings.TrimRight(s, "?.!")
	}
	if typo {
		s = swapLetters(r, s)
	}
	return s
}

func swapLetters(r *rand.Rand, s string) string {
	words := strings.Fields(s)
	var long []int
	for i, w := range words {
		if len(w) >= 6 && strings.IndexFunc(w, func(c rune) bool { return !unicode.IsLetter(c) }) < 0 {
			long = append(long, i)
		}
	}
	if len(long) == 0 {
		return s
	}
	i := long[r.IntN(len(long))]
	b := []byte(words[i])
	k := 1 + r.IntN(len(b)-3)
	b[k], b[k+1] = b[k+1], b[k]
	words[i] = string(b)
	return strings.Join(words, " ")
}

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

func distinct(r *rand.Rand, n int) (int, int) {
	i := r.IntN(n)
	j := (i + 1 + r.IntN(n-1)) % n
	return i, j
}

func encodePairs(ps []pair) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, p := range ps {
		_ = enc.Encode(p)
	}
	return b.Bytes()
}

func loadPairs(t testing.TB) []pair {
	t.Helper()
	raw, err := os.ReadFile(paraphraseFile)
	if err != nil {
		t.Fatal(err)
	}
	var out []pair
	dec := json.NewDecoder(bytes.NewReader(raw))
	for dec.More() {
		var p pair
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("%s: %v", paraphraseFile, err)
		}
		out = append(out, p)
	}
	return out
}

// TestParaphraseSetIsGenerated keeps the committed set equal to the seeded
// generator's output; run with -update after changing the generator.
func TestParaphraseSetIsGenerated(t *testing.T) {
	want := encodePairs(generate())
	if *update {
		if err := os.MkdirAll(filepath.Dir(paraphraseFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(paraphraseFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(paraphraseFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the generator's output; run go test ./pkg/semcache -run TestParaphraseSetIsGenerated -update", paraphraseFile)
	}
}
