package tokens

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// commonWords are frequent English words; prose draws from them with a
// Zipf distribution, as real prompts do.
var commonWords = strings.Fields(`the of and to a in is that for it as was with be by on not he
this are or his from at which but have an they you were her she there one all we their can has
been if more when will would who so no what up out about into than them then some could only
other time these two may first any new like our over such after most also made many before must
through years where much your way well down should because each just those people how too little
state good very make world still own see men work long get here between both life being under
never day same another know while last might us great old year off come since against go came
right used take three states himself few house use during without again place around however home
small found thought went say part once general high upon school every does got united left number
course war until always away something fact though water less public put think almost hand enough
far took head yet government system better set told nothing night end why called didn't eyes find
going look asked later knew point next program city business give group toward young days let room
president side social given present several order national possible rather second face per among
form important often things looking early white case john become large big need four within felt
along children saw best church ever least power development light thing seemed family interest
want members mind country area others done turned although open god service certain kind problem
began different door thus help sense means whole matter perhaps itself york it's times law human
line above name example action company hands local show whether five history gave today either act
feet across taken past quite anything seen having death week experience body word half really field
am car words already themselves i'm information tell together college shall money period held keep
sure probably free seems political real behind cannot miss question air office making brought whose
special major heard federal became study ago moment known result street economic boy position reason
change south board individual job society areas west close turn love community true court force full
request gateway latency provider tokenizer streaming configuration policy deployment cluster envoy
kubernetes authentication certificate throughput budget quota estimate prompt completion embedding
function parameter schema response translate backend fallback routing observability telemetry`)

// syllables build rarer words that the encodings split into pieces.
var syllables = strings.Fields(`ka ro mi zu tel var quo shen bri dax lum por vex ith ul nar
gy sto phe cran dul moz pik tre wal yon zer bal cth`)

// corpus returns about n tokens of mixed text: Zipf-distributed English
// prose with rare words, numbers, identifiers, code, JSON and a little of
// other scripts, the same for every call.
func corpus(n int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.1, 2, uint64(len(commonWords)-1))
	// A document's own vocabulary: names, jargon and identifiers that
	// recur within it but are not single tokens.
	rare := make([]string, 3000)
	for i := range rare {
		var w strings.Builder
		for range 2 + rng.IntN(3) {
			w.WriteString(syllables[rng.IntN(len(syllables))])
		}
		rare[i] = w.String()
	}
	rareZipf := rand.NewZipf(rng, 1.05, 1, uint64(len(rare)-1))
	var b strings.Builder
	words := 0
	for words < n*4/9 {
		switch k := rng.IntN(100); {
		case k < 82:
			w := commonWords[zipf.Uint64()]
			if rng.IntN(12) == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			b.WriteString(w)
		case k < 90:
			b.WriteString(rare[rareZipf.Uint64()])
		case k < 94:
			b.WriteString(strconv.Itoa(rng.IntN(100000)))
		case k < 96:
			b.WriteString("userID_" + strconv.Itoa(rng.IntN(500)) + "CamelCase")
		case k < 97:
			b.WriteString("日本語のテキスト")
		case k < 98:
			b.WriteString("Zürich, ça va? naïve café")
		default:
			b.WriteString(`{"key": "value", "n": [1, 2, 3]}`)
		}
		words++
		switch k := rng.IntN(40); {
		case k == 0:
			b.WriteString(".\n\n")
		case k < 3:
			b.WriteString(", ")
		case k < 4:
			b.WriteString(". ")
		case k == 5:
			b.WriteString("\n    if err != nil {\n        return err\n    }\n")
		default:
			b.WriteByte(' ')
		}
	}
	return b.String()
}
