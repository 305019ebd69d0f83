package sigv4

import "strings"

// ParseAuthorization exposes the Authorization header parser to the fuzz
// test, as if the request had a date header.
func ParseAuthorization(h string) (algorithm, credential, signedHeaders, signature string, err error) {
	a, e := parseAuthorization(h, true)
	if e != nil {
		return "", "", "", "", e
	}
	return a.algorithm, a.credential, a.signedHeaders, a.signature, nil
}

// FixedMessage reports whether msg is made only of the package's fixed
// messages, so that it cannot echo anything from the request.
func FixedMessage(msg string) bool {
	for _, m := range []string{
		msgMissingToken, msgUnrecognized, msgSignatureMismatch,
		msgRequiresCredential, msgRequiresSignedHeaders, msgRequiresSignature, msgRequiresDate,
		msgNotKeyValue, msgDuplicateParam, msgManyAuthorization, msgBadDate,
		msgUnsupportedAlgorithm, msgCredentialParts,
	} {
		msg = strings.ReplaceAll(msg, m, "")
	}
	return strings.TrimSpace(msg) == ""
}
