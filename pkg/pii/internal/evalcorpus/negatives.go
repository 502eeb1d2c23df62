package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// negatives make strings that look like entities and are not.
var negatives = []func(r *rand.Rand) string{
	func(r *rand.Rand) string { return "#" + str(r, digits, 6+r.IntN(5)) },                    // order number
	func(r *rand.Rand) string { return "ORD-" + str(r, digits, 4) + "-" + str(r, digits, 6) }, // order number
	func(r *rand.Rand) string {
		return fmt.Sprintf("2024-%02d-%02dT%02d:%02d:%02dZ", 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60))
	},
	func(r *rand.Rand) string { return fmt.Sprintf("%02d:%02d:%02d", r.IntN(24), r.IntN(60), r.IntN(60)) },
	func(r *rand.Rand) string { return fmt.Sprintf("v%d.%d.%d", r.IntN(5), r.IntN(30), r.IntN(100)) },
	func(r *rand.Rand) string { return fmt.Sprintf("%d.%d.%d", 1+r.IntN(5), r.IntN(30), r.IntN(100)) },
	func(r *rand.Rand) string { return str(r, hexLower, 40) }, // sha1
	func(r *rand.Rand) string { return str(r, hexLower, 64) }, // sha256
	func(r *rand.Rand) string { return uuid(r) },
	func(r *rand.Rand) string { return badCard(r) },
	func(r *rand.Rand) string { return badSSN(r) },
	func(r *rand.Rand) string { return "ISBN " + isbn13(r) },
	func(r *rand.Rand) string {
		return "ISBN 0-" + str(r, digits, 3) + "-" + str(r, digits, 5) + "-" + str(r, digits, 1)
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("%02d.%02d.20%02d", 1+r.IntN(28), 1+r.IntN(12), r.IntN(30))
	},
	func(r *rand.Rand) string {
		return fmt.Sprintf("%02d/%02d/20%02d", 1+r.IntN(12), 1+r.IntN(28), r.IntN(30))
	},
	func(r *rand.Rand) string { return "555-01" + str(r, digits, 2) }, // no area code
	func(r *rand.Rand) string { return "1" + str(r, digits, 9) },      // unix time
	func(r *rand.Rand) string { return "tracking 1Z" + str(r, upper+digits, 16) },
	func(r *rand.Rand) string {
		return fmt.Sprintf("%d,%03d,%03d.%02d", 1+r.IntN(99), r.IntN(1000), r.IntN(1000), r.IntN(100))
	},
	func(r *rand.Rand) string {
		return "part " + str(r, digits, 4) + "-" + str(r, digits, 4) + "-" + str(r, digits, 2)
	},
	func(*rand.Rand) string { return "3.14159265358979" },
	func(r *rand.Rand) string { return "1.3.6.1.4.1." + str(r, "123456789", 4) }, // OID
	func(*rand.Rand) string { return "std::vector<int>" },
	func(r *rand.Rand) string { return "DE00 " + str(r, digits, 4) + " " + str(r, digits, 4) }, // IBAN-like, too short
	func(r *rand.Rand) string { return badIBAN(r) },
	func(*rand.Rand) string { return "user@localhost" },
	func(r *rand.Rand) string { return "@" + oneOf(r, "anna", "dev_team", "ops") }, // handle
	func(*rand.Rand) string { return "sk-learn" },
	func(r *rand.Rand) string {
		return "password: " + oneOf(r, "hunter2", "********", "<your-password>", "${DB_PASSWORD}", "changeme")
	},
	func(r *rand.Rand) string { return "max_tokens=" + str(r, digits, 4) },
	func(*rand.Rand) string { return "999.10.10.1" },
	func(*rand.Rand) string { return "12:34" },
}

func uuid(r *rand.Rand) string {
	s := str(r, hexLower, 32)
	return s[:8] + "-" + s[8:12] + "-4" + s[13:16] + "-a" + s[17:20] + "-" + s[20:]
}

// badCard is a test-range card number whose Luhn check fails.
func badCard(r *rand.Rand) string {
	c := card(r)
	last := c[len(c)-1]
	bad := byte('0' + (int(last-'0')+1+r.IntN(8))%10)
	return c[:len(c)-1] + string(bad)
}

func badSSN(r *rand.Rand) string {
	switch r.IntN(6) {
	case 0:
		return "000-" + str(r, "123456789", 2) + "-" + str(r, "123456789", 4)
	case 1:
		return "666-" + str(r, "123456789", 2) + "-" + str(r, "123456789", 4)
	case 2:
		return "9" + str(r, digits, 2) + "-" + str(r, "123456789", 2) + "-" + str(r, "123456789", 4)
	case 3:
		return "078-05-1120"
	case 4:
		return "219-09-9999"
	default:
		return str(r, "12345678", 3) + "-00-" + str(r, "123456789", 4)
	}
}

func isbn13(r *rand.Rand) string {
	return "978-" + str(r, "0123", 1) + "-" + str(r, digits, 2) + "-" + str(r, digits, 6) + "-" + str(r, digits, 1)
}

// badIBAN is a well-formed IBAN with its check digits broken.
func badIBAN(r *rand.Rand) string {
	s := strings.ReplaceAll(iban(r), " ", "")
	c := (int(s[3]-'0') + 1 + r.IntN(8)) % 10
	return s[:3] + string(rune('0'+c)) + s[4:]
}
