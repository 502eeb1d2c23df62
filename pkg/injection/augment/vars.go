package main

// vars are the fillers templates draw from by {name}.
var vars = map[string][]string{
	"topic": {
		"renewable energy", "the history of the printing press", "remote work", "sourdough baking",
		"climate adaptation in cities", "the French Revolution", "machine learning in healthcare",
		"urban cycling", "coral reefs", "the stock market", "sleep hygiene", "volcanoes",
		"electric cars", "medieval castles", "honeybees", "the Roman Empire", "public libraries",
		"quantum computing", "ocean tides", "jazz music", "minimalist design", "supply chains",
		"time management", "space exploration",
	},
	"lang": {"Go", "Python", "TypeScript", "Rust", "Java", "C#", "Kotlin", "Ruby"},
	"city": {
		"Lisbon", "Kyoto", "Vancouver", "Edinburgh", "Buenos Aires", "Vienna", "Cape Town", "Oslo",
		"Marrakesh", "Seoul", "Bologna", "Krakow",
	},
	"days": {"three", "four", "five", "seven", "ten", "two", "six", "eight"},
	"n":    {"three", "five", "four", "ten", "six", "seven", "two", "eight"},
	"audience": {
		"a ten-year-old", "new employees", "a non-technical manager", "first-year students",
		"our board of directors", "senior engineers", "customers", "a general audience",
	},
	"tone": {"friendly", "formal", "concise", "warm but professional", "neutral", "upbeat", "polite", "plain"},
	"tlang": {
		"German", "French", "Spanish", "Italian", "Portuguese", "Dutch", "Japanese", "English",
	},
	"product": {
		"the Aurora standing desk", "our project-management app", "a cordless vacuum cleaner",
		"the Nimbus rain jacket", "a budgeting spreadsheet template", "our API gateway",
		"the Solo espresso machine", "a language-learning app",
	},
	"role": {
		"travel agent", "personal trainer", "financial literacy tutor", "customer support assistant",
		"copy editor", "career coach", "chemistry teacher", "nutrition coach", "tour guide",
		"product manager", "recipe developer", "legal research assistant",
	},
	"company": {"Northwind", "Contoso", "Acme Corp", "Globex", "Initech", "Umbrella Travel", "Blue Harbor Bank", "Fabrikam"},
	"thing": {
		"a haiku about autumn", "a limerick about a cat", "a short story about a lighthouse keeper",
		"a product description", "a cover letter", "a birthday message for my aunt",
		"a tweet announcing our new release", "a motivational speech", "a blog post introduction",
		"a slogan for a bakery", "an apology note to a neighbour", "a bedtime story about a dragon",
	},
	"format": {"a table", "a bulleted list", "JSON", "a numbered list", "two paragraphs", "YAML", "a short memo", "Markdown"},
}
