package manifest

import (
	"strings"
	"unicode"
)

// secretWords are the name parts that make a variable look secret.
var secretWords = map[string]bool{
	"KEY": true, "KEYS": true, "APIKEY": true, "SECRET": true, "SECRETS": true,
	"TOKEN": true, "TOKENS": true, "PASSWORD": true, "PASSWORDS": true, "PASSWD": true,
	"PWD": true, "PASS": true, "PASSPHRASE": true, "CREDENTIAL": true, "CREDENTIALS": true,
	"CREDS": true, "PRIVATE": true, "AUTH": true, "DSN": true, "CONNSTR": true,
	"CONNECTIONSTRING": true,
}

// notSecretLast are last name parts that say the variable holds something
// about a secret, not the secret: SECRET_ARN, API_KEY_ID, AUTH_URL,
// TOKEN_TTL.
var notSecretLast = map[string]bool{
	"ID": true, "IDS": true, "ARN": true, "NAME": true, "URL": true, "URI": true,
	"ENDPOINT": true, "HOST": true, "PORT": true, "DOMAIN": true, "REGION": true,
	"TTL": true, "TIMEOUT": true, "EXPIRY": true, "EXPIRES": true, "EXPIRATION": true,
	"DURATION": true, "SECONDS": true, "ENABLED": true, "DISABLED": true, "ENABLE": true,
	"DISABLE": true, "FILE": true, "PATH": true, "DIR": true, "TYPE": true, "LENGTH": true,
	"LEN": true, "SIZE": true, "COUNT": true, "HEADER": true, "ALGORITHM": true,
	"ALG": true, "VERSION": true, "MODE": true, "ISSUER": true, "AUDIENCE": true,
	"SCOPE": true, "SCOPES": true, "PROVIDER": true, "METHOD": true, "FORMAT": true,
}

// notSecretWords anywhere make a name not secret: a public key is public.
var notSecretWords = map[string]bool{"PUBLIC": true, "PUBLISHABLE": true, "PUB": true}

// LooksSecret reports whether an environment variable's name says it holds
// a secret: one of its parts (split at _ - . and lower-to-upper case
// changes, compared in upper case) is KEY, SECRET, TOKEN, PASSWORD, PASSWD,
// PWD, PASS, PASSPHRASE, CREDENTIAL(S), CREDS, PRIVATE, AUTH, DSN or
// APIKEY, or two parts read CONNECTION STRING; unless its last part names
// something about a secret rather than the secret (ID, ARN, NAME, URL,
// HOST, PORT, TTL, ENABLED, FILE, PATH, TYPE, ...) or a part is PUBLIC or
// PUBLISHABLE. GITHUB_API_KEY, dbPassword and SENTRY_DSN look secret;
// AWS_ACCESS_KEY_ID, SECRET_ARN, AUTH_URL and STRIPE_PUBLISHABLE_KEY do not.
func LooksSecret(name string) bool {
	parts := nameParts(name)
	if len(parts) == 0 || notSecretLast[parts[len(parts)-1]] {
		return false
	}
	found := false
	for i, p := range parts {
		if notSecretWords[p] {
			return false
		}
		if secretWords[p] || p == "CONNECTION" && i+1 < len(parts) && parts[i+1] == "STRING" {
			found = true
		}
	}
	return found
}

// nameParts splits a variable name into upper-case words.
func nameParts(name string) []string {
	var parts []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			parts = append(parts, strings.ToUpper(string(cur)))
			cur = cur[:0]
		}
	}
	prev := rune(0)
	for _, r := range name {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ' ':
			flush()
		case unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prev = r
	}
	flush()
	return parts
}
