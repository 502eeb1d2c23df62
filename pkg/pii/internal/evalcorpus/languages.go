package main

type language struct {
	templates map[string][]string
	generic   []string
	negative  []string
}

// Secret assignments read the same in every language: they are code.
var secretTemplates = []string{
	"password={}", `DB_PASSWORD="{}"`, `{"api_key": "{}"}`, "client_secret: {}", "export AUTH_TOKEN='{}'",
	"Authorization: Bearer {}", `secret_key = "{}"`, "SMTP_PASSWORD: {} # rotate", "token={}&user=42",
}

var languages = []language{
	{ // English
		templates: map[string][]string{
			"EMAIL_ADDRESS": {"Please email {} with the report.", "Contact: {}", "Send the invoice to <{}> by Friday.", "cc {}, thanks!"},
			"PHONE_NUMBER":  {"Call me at {} tomorrow.", "Phone: {}", "You can reach the front desk on {}.", "My mobile is {}, text first."},
			"CREDIT_CARD":   {"Charge card {} for the order.", "The card number is {}.", "Visa {} expires 09/29."},
			"IBAN_CODE":     {"Wire the deposit to {}.", "IBAN: {}", "Our account is {} (reference on invoice)."},
			"US_SSN":        {"Her SSN is {}.", "social security number {} on file", "Applicant {}, please verify."},
			"US_SSN_PLAIN":  {"SSN: {}", "ssn {} (no dashes)"},
			"IP_ADDRESS":    {"The server at {} keeps timing out.", "Blocked requests from {} last night.", "ssh admin@{} -p 22"},
			"MAC_ADDRESS":   {"Device MAC {} joined the network.", "whitelist {} on the router"},
			"SECRET":        secretTemplates,
		},
		generic:  []string{"I accidentally pasted {} into the chat, can you rotate it?", "Use this key: {}", "config: {}", "Here it is: {}\nthanks"},
		negative: []string{"Order {} has shipped.", "See {} for details.", "The value was {} at noon.", "Reference {} in your reply."},
	},
	{ // German
		templates: map[string][]string{
			"EMAIL_ADDRESS": {"Bitte schreiben Sie an {} bis Montag.", "E-Mail: {}", "Rückfragen gern an {}."},
			"PHONE_NUMBER":  {"Rufen Sie mich unter {} an.", "Telefon: {}", "Meine Handynummer ist {}."},
			"CREDIT_CARD":   {"Bitte belasten Sie die Karte {}.", "Kreditkarte: {}"},
			"IBAN_CODE":     {"Überweisen Sie den Betrag auf {}.", "IBAN: {} (Sparkasse)", "Kontoverbindung {}, BIC folgt."},
			"US_SSN":        {"Die US-Sozialversicherungsnummer lautet {}.", "SSN {} liegt vor."},
			"US_SSN_PLAIN":  {"SSN: {}"},
			"IP_ADDRESS":    {"Der Server {} antwortet nicht.", "Zugriffe von {} wurden gesperrt."},
			"MAC_ADDRESS":   {"Das Gerät mit der MAC-Adresse {} ist offline."},
			"SECRET":        secretTemplates,
		},
		generic:  []string{"Ich habe versehentlich {} gepostet.", "Schlüssel: {}"},
		negative: []string{"Bestellung {} wurde versandt.", "Siehe Abschnitt {} im Handbuch.", "Der Wert lag bei {}.", "Vorgang {} ist abgeschlossen."},
	},
	{ // French
		templates: map[string][]string{
			"EMAIL_ADDRESS": {"Merci d'écrire à {} avant vendredi.", "Courriel : {}", "Contactez {} pour la facture."},
			"PHONE_NUMBER":  {"Appelez-moi au {} demain.", "Tél. : {}", "Mon portable est le {}."},
			"CREDIT_CARD":   {"Débitez la carte {} s'il vous plaît.", "Numéro de carte : {}"},
			"IBAN_CODE":     {"Virement sur le compte {} svp.", "IBAN : {}"},
			"US_SSN":        {"Son numéro de sécurité sociale américain est {}."},
			"US_SSN_PLAIN":  {"SSN : {}"},
			"IP_ADDRESS":    {"Le serveur {} ne répond plus.", "Adresse IP : {}"},
			"MAC_ADDRESS":   {"Adresse MAC de l'appareil : {}"},
			"SECRET":        secretTemplates,
		},
		generic:  []string{"J'ai collé {} par erreur.", "Voici la clé : {}"},
		negative: []string{"La commande {} est expédiée.", "Voir la référence {} du dossier.", "La valeur était {} à midi."},
	},
	{ // Spanish
		templates: map[string][]string{
			"EMAIL_ADDRESS": {"Escríbeme a {} cuando puedas.", "Correo: {}"},
			"PHONE_NUMBER":  {"Llámame al {} mañana.", "Teléfono: {}", "Mi móvil es {}."},
			"CREDIT_CARD":   {"Cobra la tarjeta {} por favor.", "Tarjeta: {}"},
			"IBAN_CODE":     {"Transfiere a la cuenta {}.", "IBAN: {}"},
			"US_SSN":        {"Su número de seguro social es {}."},
			"US_SSN_PLAIN":  {"SSN: {}"},
			"IP_ADDRESS":    {"El servidor {} no responde.", "IP de origen: {}"},
			"MAC_ADDRESS":   {"La dirección MAC es {}."},
			"SECRET":        secretTemplates,
		},
		generic:  []string{"Pegué {} por error en el chat.", "Clave: {}"},
		negative: []string{"El pedido {} ya salió.", "Consulta la referencia {} en el manual.", "El valor fue {} ayer."},
	},
}
