package injection

// confusables maps Cyrillic and Greek letters that look like Latin ones to
// the Latin letter, after Unicode's confusables list. It is applied only
// inside words that mix scripts.
var confusables = map[rune]byte{
	// Cyrillic lower case.
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'һ': 'h', 'і': 'i', 'ї': 'i', 'ј': 'j', 'к': 'k',
	'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c', 'ԁ': 'd', 'ѕ': 's', 'т': 't',
	'у': 'y', 'х': 'x', 'ԛ': 'q', 'ԝ': 'w', 'ь': 'b', 'ɡ': 'g', 'ӏ': 'l',
	// Cyrillic upper case.
	'А': 'A', 'В': 'B', 'Е': 'E', 'Ё': 'E', 'Һ': 'H', 'І': 'I', 'Ї': 'I', 'Ј': 'J',
	'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C', 'Ѕ': 'S', 'Т': 'T',
	'У': 'Y', 'Х': 'X', 'Ԛ': 'Q', 'Ԝ': 'W', 'Ӏ': 'I',
	// Greek.
	'α': 'a', 'ο': 'o', 'ν': 'v', 'ι': 'i', 'κ': 'k', 'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x',
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M',
	'Ν': 'N', 'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X',
}
