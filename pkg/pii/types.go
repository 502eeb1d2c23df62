package pii

// Built-in entity types. The structured ones carry Presidio's names, so
// findings line up with Presidio's when both run.
const (
	TypeEmail        = "EMAIL_ADDRESS"
	TypePhone        = "PHONE_NUMBER"
	TypeCreditCard   = "CREDIT_CARD"
	TypeIBAN         = "IBAN_CODE"
	TypeSSN          = "US_SSN"
	TypeIP           = "IP_ADDRESS"
	TypeMAC          = "MAC_ADDRESS"
	TypeAWSAccessKey = "AWS_ACCESS_KEY"
	TypeAWSSecretKey = "AWS_SECRET_KEY" //nolint:gosec // a type name, not a credential
	TypeGitHub       = "GITHUB_TOKEN"
	TypeGitLab       = "GITLAB_TOKEN"
	TypeSlack        = "SLACK_TOKEN"
	TypeSlackWebhook = "SLACK_WEBHOOK"
	TypeOpenAI       = "OPENAI_API_KEY"
	TypeAnthropic    = "ANTHROPIC_API_KEY"
	TypeGoogle       = "GOOGLE_API_KEY"
	TypeStripe       = "STRIPE_API_KEY"
	TypeJWT          = "JWT"
	TypePrivateKey   = "PRIVATE_KEY"
	TypeSluice       = "SLUICE_API_KEY"
	TypeSecret       = "SECRET"
)

type typeID uint8

const (
	tEmail typeID = iota
	tPhone
	tCard
	tIBAN
	tSSN
	tIP
	tMAC
	tAWSAccess
	tAWSSecret
	tGitHub
	tGitLab
	tSlack
	tSlackWebhook
	tOpenAI
	tAnthropic
	tGoogle
	tStripe
	tJWT
	tPrivateKey
	tSluice
	tSecret
	numTypes
)

var typeNames = [numTypes]string{
	TypeEmail, TypePhone, TypeCreditCard, TypeIBAN, TypeSSN, TypeIP, TypeMAC,
	TypeAWSAccessKey, TypeAWSSecretKey, TypeGitHub, TypeGitLab, TypeSlack,
	TypeSlackWebhook, TypeOpenAI, TypeAnthropic, TypeGoogle, TypeStripe,
	TypeJWT, TypePrivateKey, TypeSluice, TypeSecret,
}

var typeIDs = func() map[string]typeID {
	m := make(map[string]typeID, numTypes)
	for i, n := range typeNames {
		m[n] = typeID(i)
	}
	return m
}()

type typeSet uint32

const allTypes typeSet = 1<<numTypes - 1

func (t typeSet) has(id typeID) bool { return t&(1<<id) != 0 }
