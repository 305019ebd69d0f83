package ref

import (
	"net/url"
	"strconv"
	"strings"
)

// parseServerless parses the Serverless Framework reference that starts at
// value[start:] ("${ssm:" or "${ssm(") up to its closing brace.
//
// v3 decrypts SecureStrings by default and takes options in parentheses
// (raw, noDecrypt, a region, comma-separated); v2's "~true" and "~false"
// suffixes set decryption explicitly and "~split" is accepted and changes
// nothing (a StringList in an environment variable stays comma-separated).
func parseServerless(value string, start int) (Ref, int, error) {
	rel := strings.IndexByte(value[start:], '}')
	if rel < 0 {
		return Ref{}, 0, syntaxErr(openServerless, "no closing '}'")
	}
	end := start + rel + 1
	quoted := value[start:end]
	body := value[start+len(openServerless) : end-1]
	if strings.Contains(body, "${") {
		return Ref{}, 0, syntaxErr(openServerless, "nested variables are not supported")
	}
	r := Ref{Service: SSM, Decrypt: true}
	if strings.HasPrefix(body, "(") {
		closing := strings.IndexByte(body, ')')
		if closing < 0 {
			return Ref{}, 0, syntaxErr(quoted, "no ')' after the options")
		}
		for _, o := range strings.Split(body[1:closing], ",") {
			switch o = strings.TrimSpace(o); {
			case o == "raw":
				r.Raw = true
			case o == "noDecrypt":
				r.Decrypt = false
			case isRegion(o) && r.Region == "":
				r.Region = o
			case isRegion(o):
				return Ref{}, 0, syntaxErr(quoted, "two regions")
			case o == "":
				return Ref{}, 0, syntaxErr(quoted, "empty option")
			default:
				return Ref{}, 0, syntaxErr(quoted, "unknown option %q (want raw, noDecrypt or a region)", o)
			}
		}
		body = body[closing+1:]
	}
	addr, ok := strings.CutPrefix(body, ":")
	if !ok {
		return Ref{}, 0, syntaxErr(quoted, "no ':' before the parameter name")
	}
	if i := strings.IndexByte(addr, ','); i >= 0 {
		// Do not quote the fallback: it is a literal value.
		return Ref{}, 0, syntaxErr(value[start:end-1-len(addr)+i]+", ...}",
			"fallback values are not supported; coffer run fails rather than use a default")
	}
	addr = strings.TrimSpace(addr)
	if i := strings.LastIndexByte(addr, '~'); i >= 0 {
		switch addr[i+1:] {
		case "true":
			r.Decrypt = true
		case "false":
			r.Decrypt = false
		case "split":
		default:
			return Ref{}, 0, syntaxErr(quoted, "unknown suffix %q (want ~true, ~false or ~split)", addr[i:])
		}
		addr = addr[:i]
	}
	region := r.Region
	if err := parseSSMName(quoted, addr, &r); err != nil {
		return Ref{}, 0, err
	}
	if region != "" && r.Region != region {
		return Ref{}, 0, syntaxErr(quoted, "the region option differs from the ARN's region")
	}
	return r, end, nil
}

// parseCFN parses a CloudFormation dynamic reference starting at
// value[start:] ("{{resolve:") up to "}}":
//
//	{{resolve:secretsmanager:secret-id:SecretString:json-key:version-stage:version-id}}
//	{{resolve:ssm:parameter-name:version}}
//	{{resolve:ssm-secure:parameter-name:version}}
//
// Every part after secret-id is optional and may be empty; secret-id may
// be a full ARN, whose colons are part of it.
func parseCFN(value string, start int) (Ref, int, error) {
	rel := strings.Index(value[start:], "}}")
	if rel < 0 {
		return Ref{}, 0, syntaxErr(openCFN, "no closing '}}'")
	}
	end := start + rel + 2
	quoted := value[start:end]
	body := value[start+len(openCFN) : end-2]
	service, rest, ok := strings.Cut(body, ":")
	if !ok {
		return Ref{}, 0, syntaxErr(quoted, "no ':' after the service")
	}
	switch service {
	case "secretsmanager":
		r := Ref{Service: SecretsManager}
		f := strings.Split(rest, ":")
		if f[0] == "arn" {
			arn, region, tail, err := secretARN(quoted, f)
			if err != nil {
				return Ref{}, 0, err
			}
			r.ID, r.Region, f = arn, region, append([]string{arn}, tail...)
		} else if err := checkSecretName(quoted, f[0]); err != nil {
			return Ref{}, 0, err
		}
		r.ID = f[0]
		f = f[1:]
		if len(f) > 4 {
			return Ref{}, 0, syntaxErr(quoted, "too many parts (secret-id:SecretString:json-key:version-stage:version-id)")
		}
		f = append(f, make([]string, 4-len(f))...)
		if f[0] != "" && f[0] != "SecretString" {
			return Ref{}, 0, syntaxErr(quoted, "the part after the secret id must be SecretString or empty")
		}
		if err := selectVersion(quoted, &r, f[1], f[2], f[3]); err != nil {
			return Ref{}, 0, err
		}
		return r, end, nil
	case "ssm", "ssm-secure":
		r := Ref{Service: SSM, Decrypt: service == "ssm-secure"}
		if err := parseSSMName(quoted, rest, &r); err != nil {
			return Ref{}, 0, err
		}
		return r, end, nil
	}
	return Ref{}, 0, syntaxErr(quoted, "unknown service (want secretsmanager, ssm or ssm-secure)")
}

// parseAzure parses an App Service Key Vault reference starting at
// value[start:] up to its closing parenthesis:
//
//	@Microsoft.KeyVault(SecretUri=https://VAULT.vault.azure.net/secrets/NAME/VERSION)
//	@Microsoft.KeyVault(VaultName=VAULT;SecretName=NAME;SecretVersion=VERSION)
//
// The secret is VAULT/NAME in Coffer, VAULT lower-cased (it is a host
// name); VERSION, when given, is the version id.
func parseAzure(value string, start int) (Ref, int, error) {
	rel := strings.IndexByte(value[start:], ')')
	if rel < 0 {
		return Ref{}, 0, syntaxErr(openAzure, "no closing ')'")
	}
	end := start + rel + 1
	quoted := value[start:end]
	body := value[start+len(openAzure) : end-1]
	var uri, vault, name, version string
	for _, kv := range strings.Split(body, ";") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return Ref{}, 0, syntaxErr(quoted, "a part without '='")
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		var dst *string
		switch strings.ToLower(k) {
		case "secreturi":
			dst = &uri
		case "vaultname":
			dst = &vault
		case "secretname":
			dst = &name
		case "secretversion":
			dst = &version
		default:
			return Ref{}, 0, syntaxErr(quoted, "unknown part %q (want SecretUri, or VaultName, SecretName and SecretVersion)", k)
		}
		if *dst != "" {
			return Ref{}, 0, syntaxErr(quoted, "%s given twice", k)
		}
		*dst = v
	}
	if uri != "" {
		if vault != "" || name != "" || version != "" {
			return Ref{}, 0, syntaxErr(quoted, "SecretUri together with VaultName, SecretName or SecretVersion")
		}
		var err error
		if vault, name, version, err = parseAzureURI(quoted, uri); err != nil {
			return Ref{}, 0, err
		}
	}
	if vault == "" || name == "" {
		return Ref{}, 0, syntaxErr(quoted, "no vault or secret name")
	}
	if !all(vault, func(c byte) bool { return isAlnum(c) || c == '-' }) {
		return Ref{}, 0, syntaxErr(quoted, "vault name has a character outside A-Z a-z 0-9 -")
	}
	if !all(name, func(c byte) bool { return isAlnum(c) || c == '-' }) {
		return Ref{}, 0, syntaxErr(quoted, "secret name has a character outside A-Z a-z 0-9 -")
	}
	r := Ref{Service: SecretsManager, ID: strings.ToLower(vault) + "/" + name}
	if err := selectVersion(quoted, &r, "", "", version); err != nil {
		return Ref{}, 0, err
	}
	return r, end, nil
}

// parseAzureURI splits https://VAULT.vault.azure.net/secrets/NAME[/VERSION][/]
// (any Azure cloud's vault domain).
func parseAzureURI(quoted, uri string) (vault, name, version string, err error) {
	u, perr := url.Parse(uri)
	if perr != nil || u.Scheme != "https" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", "", "", syntaxErr(quoted, "SecretUri is not https://VAULT.vault.azure.net/secrets/NAME[/VERSION]")
	}
	vault, domain, _ := strings.Cut(strings.ToLower(u.Hostname()), ".")
	if !strings.HasPrefix(domain, "vault.") {
		return "", "", "", syntaxErr(quoted, "SecretUri host is not a Key Vault (VAULT.vault.azure.net)")
	}
	parts := strings.Split(strings.TrimSuffix(u.Path, "/"), "/")
	if len(parts) < 3 || len(parts) > 4 || parts[0] != "" || parts[1] != "secrets" {
		return "", "", "", syntaxErr(quoted, "SecretUri path is not /secrets/NAME[/VERSION]")
	}
	name = parts[2]
	if len(parts) == 4 {
		version = parts[3]
	}
	return vault, name, version, nil
}

// parseARN parses a whole value that is an ARN. Secret ARNs may carry
// ECS's suffix, arn:...:secret:NAME:json-key:version-stage:version-id.
// ARNs of other services or resource types are not references.
func parseARN(value string) (Ref, bool, error) {
	f := strings.Split(value, ":")
	switch {
	case len(f) >= 3 && f[2] == SecretsManager:
		arn, region, tail, err := secretARN(value, f)
		if err != nil {
			return Ref{}, false, err
		}
		if len(tail) > 3 {
			return Ref{}, false, syntaxErr(value, "too many parts after the secret ARN (json-key:version-stage:version-id)")
		}
		tail = append(tail, make([]string, 3-len(tail))...)
		r := Ref{Service: SecretsManager, ID: arn, Region: region}
		if err := selectVersion(value, &r, tail[0], tail[1], tail[2]); err != nil {
			return Ref{}, false, err
		}
		return r, true, nil
	case len(f) >= 6 && f[2] == SSM && strings.HasPrefix(f[5], "parameter/"):
		r := Ref{Service: SSM, Decrypt: true}
		if err := parseSSMName(value, value, &r); err != nil {
			return Ref{}, false, err
		}
		return r, true, nil
	}
	return Ref{}, false, nil
}

// parseGCP parses a whole value projects/P/secrets/S/versions/V. The secret
// is P/S in Coffer; V is "latest" (AWSCURRENT), a number N (stage vN) or an
// alias (the stage of that name). A value starting with projects/ whose
// third part is not "secrets" is not a reference.
func parseGCP(value string) (Ref, bool, error) {
	p := strings.Split(value, "/")
	if len(p) < 3 || p[2] != "secrets" {
		return Ref{}, false, nil
	}
	if len(p) != 6 || p[4] != "versions" {
		return Ref{}, false, syntaxErr(value, "want projects/PROJECT/secrets/SECRET/versions/VERSION")
	}
	project, secret, version := p[1], p[3], p[5]
	if project == "" || !all(project, func(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' }) {
		return Ref{}, false, syntaxErr(value, "project has a character outside a-z 0-9 -")
	}
	if secret == "" || !all(secret, func(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }) {
		return Ref{}, false, syntaxErr(value, "secret id has a character outside A-Z a-z 0-9 _ -")
	}
	r := Ref{Service: SecretsManager, ID: project + "/" + secret}
	switch {
	case version == "latest":
		r.Stage = StageCurrent
	case isDigits(version):
		n, err := strconv.ParseInt(version, 10, 64)
		if err != nil || n < 1 {
			return Ref{}, false, syntaxErr(value, "version number out of range")
		}
		r.Stage = "v" + strconv.FormatInt(n, 10)
	case version != "" && all(version, func(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }):
		r.Stage = version
	default:
		return Ref{}, false, syntaxErr(value, "version is not latest, a number or an alias")
	}
	return r, true, nil
}

// parseCoffer parses coffer://NAME[#json-key][?stage=S|?version=V], with
// the fragment and the query in either order; NAME may be a secret ARN.
// The JSON key is percent-decoded; region=R is accepted in the query too.
func parseCoffer(value string) (Ref, error) {
	rest := strings.TrimPrefix(value, "coffer://")
	i := strings.IndexAny(rest, "#?")
	if i < 0 {
		i = len(rest)
	}
	name, rest := rest[:i], rest[i:]
	r := Ref{Service: SecretsManager}
	if strings.HasPrefix(name, "arn:") {
		arn, region, tail, err := secretARN(value, strings.Split(name, ":"))
		if err != nil {
			return Ref{}, err
		}
		if len(tail) > 0 {
			return Ref{}, syntaxErr(value, "use #json-key and ?stage= or ?version= after a secret ARN")
		}
		r.ID, r.Region = arn, region
	} else if err := checkSecretName(value, name); err != nil {
		return Ref{}, err
	} else {
		r.ID = name
	}
	var key, stage, version, region string
	seenKey, seenQuery := false, false
	for rest != "" {
		sep := rest[0]
		rest = rest[1:]
		j := strings.IndexAny(rest, "#?")
		if j < 0 {
			j = len(rest)
		}
		part := rest[:j]
		rest = rest[j:]
		switch {
		case sep == '#' && !seenKey:
			seenKey = true
			k, err := url.PathUnescape(part)
			if err != nil || k == "" {
				return Ref{}, syntaxErr(value, "empty or badly escaped JSON key")
			}
			key = k
		case sep == '?' && !seenQuery:
			seenQuery = true
			for _, kv := range strings.Split(part, "&") {
				k, v, _ := strings.Cut(kv, "=")
				if v == "" {
					return Ref{}, syntaxErr(value, "query part %q without a value", k)
				}
				var dst *string
				switch k {
				case "stage":
					dst = &stage
				case "version":
					dst = &version
				case "region":
					dst = &region
				default:
					return Ref{}, syntaxErr(value, "unknown query part %q (want stage, version or region)", k)
				}
				if *dst != "" {
					return Ref{}, syntaxErr(value, "%s given twice", k)
				}
				*dst = v
			}
		default:
			return Ref{}, syntaxErr(value, "more than one '#' or '?'")
		}
	}
	switch {
	case region == "":
	case !isRegion(region):
		return Ref{}, syntaxErr(value, "region is not an AWS region")
	case r.Region != "" && r.Region != region:
		return Ref{}, syntaxErr(value, "the region differs from the ARN's region")
	default:
		r.Region = region
	}
	if err := selectVersion(value, &r, key, stage, version); err != nil {
		return Ref{}, err
	}
	return r, nil
}
