package semcachetest

// contractions are expanded before splitting, so "don't" carries its
// negation. Both apostrophes are covered.
var contractions = [][2]string{
	{"can't", "can not"}, {"can’t", "can not"},
	{"won't", "will not"}, {"won’t", "will not"},
	{"n't", " not"}, {"n’t", " not"},
	{"'s", ""}, {"’s", ""}, {"'re", ""}, {"’re", ""}, {"'m", ""}, {"’m", ""},
	{"'ll", ""}, {"’ll", ""}, {"'ve", ""}, {"’ve", ""}, {"'d", ""}, {"’d", ""},
}

// directions mark the next word as a destination or a source.
var directions = map[string]string{"to": "to:", "into": "to:", "from": "from:"}

// negations flip what the next word means.
var negations = map[string]bool{
	"not": true, "no": true, "never": true, "without": true, "nor": true,
	"cannot": true, "none": true, "neither": true,
}

// stopwords carry no meaning a cache should distinguish: articles,
// pronouns, auxiliaries, politeness, and the "how"/"steps" framing that
// paraphrases of a question swap freely.
var stopwords = toSet(
	"a", "an", "the", "and", "or", "of", "to", "for", "in", "on", "at", "by", "with", "from", "into",
	"about", "as", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "doe",
	"i", "me", "my", "mine", "you", "your", "we", "our", "us", "it", "its", "this", "that", "there",
	"can", "could", "would", "will", "shall", "should", "may", "might", "must",
	"please", "kindly", "hey", "hi", "hello", "thanks", "thank", "just", "quick", "question",
	"tell", "know", "want", "like", "need", "give", "let", "some", "any", "good", "right", "now",
	"how", "what", "step", "way", "procedure", "instruction", "guide", "help", "get", "some",
	"current", "currently", "today", "here", "which", "whom", "advance",
)

// stopAnagrams catches stop words with swapped letters ("thnaks").
var stopAnagrams = func() map[string]bool {
	m := map[string]bool{}
	for w := range stopwords {
		if len(w) > 3 {
			m[anagram(w)] = true
		}
	}
	return m
}()

// synonymAnagrams finds a synonym spelt with swapped letters ("dfeine").
var synonymAnagrams = func() map[string]string {
	m := map[string]string{}
	for w, s := range synonyms {
		if len(w) > 3 {
			m[anagram(w)] = s
		}
	}
	return m
}()

// synonyms map a word (after plural stripping) to the one the embedder
// uses for all of them.
var synonyms = map[string]string{
	"automobile": "car", "vehicle": "car",
	"purchase": "buy", "acquire": "buy", "bought": "buy",
	"cost": "price", "priced": "price",
	"begin": "start", "commence": "start",
	"repair": "fix", "resolve": "fix",
	"big": "large", "huge": "large",
	"little": "small", "tiny": "small",
	"quickly": "fast", "rapid": "fast",
	"assist": "help", "assistance": "help",
	"error": "problem", "issue": "problem", "bug": "problem",
	"modify": "change", "alter": "change", "update": "change",
	"remove": "delete", "erase": "delete",
	"display": "show", "list": "show",
	"locate": "find", "search": "find",
	"obtain": "get", "receive": "get",
	"utilize": "use", "utilise": "use",
	"describe": "explain",
	"compose":  "write", "draft": "write",
	"published": "publish", "publication": "publish",
	"restore": "reset",
	"novice":  "beginner", "min": "minute",
	"summarise": "summarize", "summary": "summarize",
	"calculate": "compute", "multiplied": "multiply", "times": "multiply",
	"photo": "image", "picture": "image",
	"film":      "movie",
	"physician": "doctor",
	"cash":      "money", "fund": "money",
	"terminate": "cancel", "end": "cancel",
	"passcode": "password",
	"log":      "login", "sign": "login", "signin": "login",
	"profile":  "account",
	"shipping": "delivery", "deliver": "delivery",
	"reimbursement": "refund",
	"forecast":      "weather",
	"km":            "kilometer", "kilometre": "kilometer", "mi": "mile",
	"define": "meaning", "mean": "meaning", "definition": "meaning",
	"exercise": "workout", "training": "workout",
	"one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
	"six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
}

func toSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
