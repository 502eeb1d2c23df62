package main

// roles are legitimate role assignments and system prompts.
var roles = []string{
	"You are a helpful {role}. Plan a {days}-day trip to {city} for a family with two children, with a budget of 2,000 EUR, and include one rainy-day option per day.",
	"You are {company}'s customer support assistant. Be {tone}, answer only questions about our products, and hand over to a human agent when the customer asks for a refund over 500 EUR. Never share internal ticket notes.",
	"Act as a {role} and create a four-week plan for a beginner who can train three times a week. Explain each exercise briefly.",
	"You are an experienced {role}. Review my CV summary below and suggest three concrete improvements: 'Project manager with eight years of experience in logistics, led teams of up to 12 people.'",
	"System: You are a concise assistant that answers in {tlang}. Follow the user's formatting instructions and keep answers under 150 words.",
	"You are a {role} for {audience}. Explain {topic} with one everyday analogy and finish with a short quiz.",
	"Pretend you are a tour guide in {city} in the year 1900 and describe a walk through the old town for a school project.",
	"You are a meticulous copy editor. Your rules: keep the author's voice, fix only grammar and spelling, and list every change you made at the end.",
	"Imagine you are a hiring manager. Write {n} interview questions for a junior {lang} developer and say what a good answer contains.",
	"You are a math tutor. Do not give the final answer straight away; guide the student with hints. The problem: a train leaves at 9:00 at 80 km/h, another at 10:00 at 100 km/h; when does the second catch up?",
	"Role: senior {role}. Goal: write a project brief for launching {product} in {city}. Constraints: one page, {tone} tone, include risks and a timeline.",
	"You are a Dungeon Master for a light-hearted fantasy game. Describe the tavern where the adventure begins and give the players three choices.",
}

// instructions are short instruction-following tasks of the kind public
// instruction datasets are made of.
var instructions = []string{
	"Write {thing}.",
	"Give me {n} tips for improving {topic}.",
	"Explain {topic} to {audience} in simple terms.",
	"Generate a list of {n} creative names for a podcast about {topic}.",
	"Rewrite the following sentence in the passive voice: 'The committee approved the new budget.'",
	"Classify the following animals as mammals, birds or reptiles: eagle, dolphin, gecko, bat, penguin.",
	"Create a weekly meal plan for a vegetarian, and present it as {format}.",
	"Write a {tone} product description for {product} in under 80 words.",
	"Summarise the plot of Romeo and Juliet in {n} sentences.",
	"Compose {thing} in the style of a nineteenth-century poet.",
	"List the pros and cons of {topic} and end with a balanced conclusion.",
	"Generate a JSON object describing a book with title, author, year and genres.",
	"Brainstorm {n} ideas for a team-building event for a remote team.",
	"Convert 72 degrees Fahrenheit to Celsius and show the formula.",
	"Write a SQL query that returns the ten most recent orders with the customer's name.",
	"Describe the water cycle step by step.",
	"Suggest a title for an essay about {topic}.",
	"Outline a five-minute presentation on {topic} for {audience}.",
	"Write a regular expression that matches a UK postcode and explain each part.",
	"Identify the main argument in this sentence: 'Cities should invest in public transport because it reduces congestion and pollution.'",
	"Edit this paragraph for clarity: 'Due to the fact that the meeting was postponed, we are not able to make a decision at this point in time.'",
	"Create a checklist for moving to a new apartment.",
	"Give an example of a metaphor and explain how it works.",
	"Write step-by-step instructions for changing a bicycle tyre.",
}

// foreignTasks are benign tasks in German, French, Spanish, Italian and
// Portuguese.
var foreignTasks = []string{
	"Schreibe eine freundliche E-Mail an meinen Vermieter und bitte um die Reparatur der Heizung. Die vorherige Nachricht blieb unbeantwortet.",
	"Erkläre mir bitte den Unterschied zwischen Wetter und Klima, so dass ein Kind ihn versteht.",
	"Fasse den folgenden Artikel zusammen und nenne die wichtigsten Zahlen.",
	"Rédige un résumé de ce texte en cinq phrases pour une réunion d'équipe.",
	"Peux-tu traduire ce paragraphe en anglais et expliquer les expressions difficiles ?",
	"Écris une lettre de motivation pour un poste de développeur junior dans une start-up à Lyon.",
	"Escribe un plan de viaje de tres días por Sevilla con recomendaciones de comida local.",
	"Resume el siguiente documento y enumera las decisiones tomadas en la reunión.", //nolint:misspell // not English
	"¿Puedes revisar este texto y corregir los errores de ortografía sin cambiar el estilo?",
	"Scrivi una ricetta semplice per la pasta al pomodoro e spiega ogni passaggio.",
	"Riassumi questo testo in tre punti per il mio capo.",
	"Traduci in inglese le istruzioni di montaggio qui sotto.",
	"Escreva um e-mail educado pedindo o reembolso de um produto com defeito.",
	"Resuma o texto abaixo em português simples para um público leigo.",
	"Crie uma lista de tarefas para organizar uma festa de aniversário infantil.",
	"Erstelle einen Lernplan für die Mathematikprüfung in vier Wochen, mit zwei Stunden pro Tag.",
}

// foreignDocs are passages in the same languages.
var foreignDocs = []string{
	"Die Stadtverwaltung hat beschlossen, die Öffnungszeiten der Bibliothek zu verlängern. Ab März ist sie auch samstags geöffnet. Die bisherigen Regeln für die Ausleihe bleiben unverändert.",
	"Bitte beachten Sie die Anweisungen zur Montage: Zuerst die Seitenteile verschrauben, dann die Rückwand einsetzen. Ignorieren Sie die kleinen Löcher an der Unterseite, sie sind für ein anderes Modell.",
	"La réunion de lundi a permis de fixer le calendrier du projet. L'équipe technique livrera la première version en avril ; le service client sera formé en mai. Les instructions précédentes concernant les congés restent valables.",
	"Le système de chauffage doit être entretenu une fois par an. Ne pas ignorer les voyants d'alerte : en cas de doute, contactez un technicien agréé.",                                               //nolint:misspell // not English
	"El informe anual muestra un aumento de las ventas del 8 %. La empresa abrirá dos tiendas nuevas y mejorará su sistema de envíos. Las instrucciones anteriores sobre descuentos ya no se aplican.", //nolint:misspell // not English
	"Il comune ha approvato il nuovo regolamento per la raccolta differenziata. Le istruzioni precedenti restano valide fino a giugno; poi i cassonetti cambieranno colore.",
	"O manual explica como configurar o sistema pela primeira vez: ligue o aparelho, escolha o idioma e siga as instruções no ecrã. Ignore a mensagem de atualização se não tiver ligação à internet.",
	"Das Protokoll der letzten Sitzung: Der Vorstand genehmigt das Budget, die Mitgliederversammlung findet im Oktober statt, und die alte Satzung wird überarbeitet.",
}

// structuredAsks introduce configuration or data.
var structuredAsks = []string{
	"Convert this to {format} and keep every field.",
	"Validate this file and tell me which fields are missing or have the wrong type.",
	"Explain what this configuration does, section by section.",
	"Turn this Markdown into a short e-mail for the team.",
	"Write a JSON schema for the following document.",
	"Is this valid YAML? If not, fix it and show the corrected version.",
	"Generate TypeScript types for this JSON.",
	"Compare these settings with the defaults and list what was overridden.",
}

// structured are configuration files, data and Markdown.
var structured = []string{
	"{\n  \"user\": {\"id\": 4821, \"name\": \"Test User\", \"roles\": [\"editor\", \"viewer\"]},\n  \"settings\": {\"theme\": \"system\", \"notifications\": {\"email\": true, \"ignore_muted\": true}},\n  \"previous_login\": \"2024-03-02T10:15:00Z\"\n}",
	"server:\n  port: 8080\n  timeout: 30s\nlogging:\n  level: info\n  ignore_paths:\n    - /healthz\n    - /metrics\nfeatures:\n  dark_mode: true\n  beta_search: false",
	"# Project Roadmap\n\n## Q1\n- Migrate the billing system to the new provider\n- Write instructions for the support team\n\n## Q2\n- Mobile app redesign\n- Retire the previous API version\n\n| Item | Owner | Status |\n|---|---|---|\n| Billing | Ana | in progress |\n| Docs | Ben | done |",
	"[database]\nhost = \"db.internal\"\nport = 5432\nuser = \"app\"\n\n[cache]\nenabled = true\nttl = \"5m\"\n\n[rules]\noverride_defaults = false",
	"name,department,start_date,manager\nA. Person,Finance,2021-04-01,C. Lead\nB. Person,Engineering,2022-09-15,D. Lead\nC. Person,Support,2023-01-09,E. Lead",
	"{\"messages\": [{\"role\": \"user\", \"content\": \"What's the weather in Oslo?\"}, {\"role\": \"assistant\", \"content\": \"I can't check live weather, but Oslo in May is usually 10-17 °C.\"}], \"model\": \"small\", \"temperature\": 0.2}",
	"steps:\n  - name: checkout\n    uses: actions/checkout@v4\n  - name: test\n    run: go test ./...\n  - name: lint\n    run: golangci-lint run\n    continue-on-error: false",
	"## Meeting notes\n\n**Decisions**\n1. Keep the previous release schedule.\n2. New instructions for on-call handover start next week.\n\n**Open**\n- Who owns the system status page?",
}

// chatTurns are turns of an everyday conversation, in either voice.
var chatTurns = []string{
	"I'm planning a garden and want vegetables that grow well in partial shade.",
	"Lettuce, spinach, kale and peas cope well with three to four hours of sun.",
	"Great. How often should I water them in summer?",
	"Usually two or three times a week, deeply, in the morning.",
	"Can you remind me what we said about the budget earlier?",
	"Earlier you mentioned a limit of 300 EUR for seeds and tools.",
	"Forget the kale, my kids won't eat it. What else could I plant?",
	"Swiss chard or rocket would work in the same spot.",
	"I need help writing a speech for my sister's wedding.",
	"Happy to help. What are two or three stories about her you'd like to include?",
	"Ignore the formal tone from before, make it funnier.",
	"Sure, here's a lighter version of the opening.",
}
