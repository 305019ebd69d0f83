package ref

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	secretARNValue = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db/main-AbCdEf"
	paramARNValue  = "arn:aws:ssm:eu-west-1:123456789012:parameter/db/password"
)

// sm and ssm are row constructors for the tables below.
func sm(id string, opts ...func(*Ref)) Ref {
	r := Ref{Service: SecretsManager, ID: id}
	for _, o := range opts {
		o(&r)
	}
	return r
}

func ssm(id string, decrypt bool, opts ...func(*Ref)) Ref {
	r := Ref{Service: SSM, ID: id, Decrypt: decrypt}
	for _, o := range opts {
		o(&r)
	}
	return r
}

func key(k string) func(*Ref)     { return func(r *Ref) { r.JSONKey = k } }
func stage(s string) func(*Ref)   { return func(r *Ref) { r.Stage = s } }
func version(v string) func(*Ref) { return func(r *Ref) { r.VersionID = v } }
func region(g string) func(*Ref)  { return func(r *Ref) { r.Region = g } }
func ssmVer(n int64) func(*Ref)   { return func(r *Ref) { r.SSMVersion = n } }
func label(l string) func(*Ref)   { return func(r *Ref) { r.SSMLabel = l } }
func raw(r *Ref)                  { r.Raw = true }

func TestFindWholeReference(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  Ref
	}{
		// Serverless Framework.
		{"serverless v3 path decrypts by default", "${ssm:/db/password}", ssm("/db/password", true)},
		{"serverless name without a slash", "${ssm:apikey}", ssm("apikey", true)},
		{"serverless v2 ~true decrypts", "${ssm:/db/password~true}", ssm("/db/password", true)},
		{"serverless v2 ~false does not decrypt", "${ssm:/db/password~false}", ssm("/db/password", false)},
		{"serverless v2 ~split changes nothing", "${ssm:/hosts~split}", ssm("/hosts", true)},
		{"serverless raw option", "${ssm(raw):/aws/reference/secretsmanager/db}", ssm("/aws/reference/secretsmanager/db", true, raw)},
		{"serverless noDecrypt option", "${ssm(noDecrypt):/db/password}", ssm("/db/password", false)},
		{"serverless region option", "${ssm(eu-west-1):/db/password}", ssm("/db/password", true, region("eu-west-1"))},
		{"serverless options combine", "${ssm(us-gov-west-1, raw):/x}", ssm("/x", true, region("us-gov-west-1"), raw)},
		{"serverless region and noDecrypt", "${ssm(eu-west-1,noDecrypt):/x}", ssm("/x", false, region("eu-west-1"))},
		{"serverless version selector", "${ssm:/db/password:3}", ssm("/db/password", true, ssmVer(3))},
		{"serverless label selector", "${ssm:/db/password:prod}", ssm("/db/password", true, label("prod"))},
		{"serverless parameter ARN", "${ssm:" + paramARNValue + "}", ssm(paramARNValue, true, region("eu-west-1"))},
		{"serverless spaces around the address", "${ssm: /x }", ssm("/x", true)},

		// CloudFormation.
		{"cfn secret by name", "{{resolve:secretsmanager:MySecret}}", sm("MySecret")},
		{"cfn secret string with json key", "{{resolve:secretsmanager:MySecret:SecretString:password}}", sm("MySecret", key("password"))},
		{"cfn json key and stage", "{{resolve:secretsmanager:MySecret:SecretString:password:AWSPREVIOUS}}", sm("MySecret", key("password"), stage("AWSPREVIOUS"))},
		{"cfn empty segments then version id", "{{resolve:secretsmanager:MySecret:SecretString:::EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE}}", sm("MySecret", version("EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE"))},
		{"cfn empty SecretString segment", "{{resolve:secretsmanager:MySecret::password}}", sm("MySecret", key("password"))},
		{"cfn secret ARN keeps its colons", "{{resolve:secretsmanager:" + secretARNValue + ":SecretString:user}}", sm(secretARNValue, key("user"), region("eu-west-1"))},
		{"cfn ssm plain", "{{resolve:ssm:/app/url}}", ssm("/app/url", false)},
		{"cfn ssm version", "{{resolve:ssm:/app/url:2}}", ssm("/app/url", false, ssmVer(2))},
		{"cfn ssm-secure decrypts", "{{resolve:ssm-secure:/db/password:7}}", ssm("/db/password", true, ssmVer(7))},

		// Whole-value ARNs.
		{"secret ARN", secretARNValue, sm(secretARNValue, region("eu-west-1"))},
		{"partial secret ARN without suffix", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db", sm("arn:aws:secretsmanager:us-east-1:123456789012:secret:db", region("us-east-1"))},
		{"secret ARN with ECS json key and stage", secretARNValue + ":password:AWSPREVIOUS:", sm(secretARNValue, region("eu-west-1"), key("password"), stage("AWSPREVIOUS"))},
		{"secret ARN with ECS version id", secretARNValue + ":::EXAMPLE1-90ab", sm(secretARNValue, region("eu-west-1"), version("EXAMPLE1-90ab"))},
		{"china partition secret ARN", "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x", sm("arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x", region("cn-north-1"))},
		{"parameter ARN decrypts", paramARNValue, ssm(paramARNValue, true, region("eu-west-1"))},
		{"parameter ARN with version", paramARNValue + ":4", ssm(paramARNValue, true, region("eu-west-1"), ssmVer(4))},

		// Azure.
		{"azure secret uri with version", "@Microsoft.KeyVault(SecretUri=https://MyVault.vault.azure.net/secrets/db-password/ec96f02080254f109c51a1f14cdb1931)", sm("myvault/db-password", version("ec96f02080254f109c51a1f14cdb1931"))},
		{"azure secret uri without version", "@Microsoft.KeyVault(SecretUri=https://myvault.vault.azure.net/secrets/db-password/)", sm("myvault/db-password")},
		{"azure sovereign cloud", "@Microsoft.KeyVault(SecretUri=https://v1.vault.azure.cn/secrets/s)", sm("v1/s")},
		{"azure vault name form", "@Microsoft.KeyVault(VaultName=MyVault;SecretName=db-password)", sm("myvault/db-password")},
		{"azure vault name form with version", "@Microsoft.KeyVault(VaultName=myvault;SecretName=db-password;SecretVersion=ec96f02080254f109c51a1f14cdb1931)", sm("myvault/db-password", version("ec96f02080254f109c51a1f14cdb1931"))},
		{"azure keys are case-insensitive", "@Microsoft.KeyVault(vaultname=v;secretname=s;)", sm("v/s")},

		// GCP.
		{"gcp latest is the current version", "projects/my-proj/secrets/db_password/versions/latest", sm("my-proj/db_password", stage("AWSCURRENT"))},
		{"gcp version number is stage vN", "projects/123456/secrets/api-key/versions/3", sm("123456/api-key", stage("v3"))},
		{"gcp alias is a stage", "projects/p-1/secrets/k/versions/prod", sm("p-1/k", stage("prod"))},

		// coffer://
		{"coffer name", "coffer://db/main", sm("db/main")},
		{"coffer json key", "coffer://db/main#password", sm("db/main", key("password"))},
		{"coffer stage", "coffer://db/main?stage=AWSPREVIOUS", sm("db/main", stage("AWSPREVIOUS"))},
		{"coffer json key then version", "coffer://db/main#password?version=EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE", sm("db/main", key("password"), version("EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE"))},
		{"coffer query then json key", "coffer://db/main?stage=v2#user", sm("db/main", key("user"), stage("v2"))},
		{"coffer escaped json key", "coffer://db#a%20b", sm("db", key("a b"))},
		{"coffer region", "coffer://db?region=eu-west-1&stage=x", sm("db", region("eu-west-1"), stage("x"))},
		{"coffer ARN", "coffer://" + secretARNValue + "#k", sm(secretARNValue, region("eu-west-1"), key("k"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Find(tt.value)
			if err != nil {
				t.Fatalf("Find(%q) error: %v", tt.value, err)
			}
			want := []Match{{Start: 0, End: len(tt.value), Ref: tt.want}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Find(%q) mismatch (-want +got):\n%s", tt.value, diff)
			}
		})
	}
}

func TestFindEmbedded(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  []string // the matched texts
	}{
		{"no reference", "postgres://u:p@h/db", nil},
		{"other serverless variables are left alone", "${self:custom.x} ${env:HOME} ${ssmx:y}", nil},
		{"dollar-brace text that is not ssm", "${ssmFoo}", nil},
		{"an ARN of another service is not a reference", "arn:aws:iam::123456789012:role/fn", nil},
		{"an SSM document ARN is not a reference", "arn:aws:ssm:us-east-1:123456789012:document/x", nil},
		{"projects path that is not a secret", "projects/p/locations/l", nil},
		{"arn inside a value is not a reference", "x arn:aws:secretsmanager:us-east-1:1:secret:s", nil},
		{"reference inside a URL", "postgres://u:${ssm:/db/pw}@h:5432/db", []string{"${ssm:/db/pw}"}},
		{"two references in one value", "${ssm:/a}:{{resolve:secretsmanager:b}}", []string{"${ssm:/a}", "{{resolve:secretsmanager:b}}"}},
		{"azure inside text", "x=@Microsoft.KeyVault(VaultName=v;SecretName=s) y", []string{"@Microsoft.KeyVault(VaultName=v;SecretName=s)"}},
		{"the same reference twice", "${ssm:/a}${ssm:/a}", []string{"${ssm:/a}", "${ssm:/a}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := Find(tt.value)
			if err != nil {
				t.Fatalf("Find(%q) error: %v", tt.value, err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, tt.value[m.Start:m.End])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Find(%q) matched texts (-want +got):\n%s", tt.value, diff)
			}
		})
	}
}

func TestFindMalformed(t *testing.T) {
	tests := []struct {
		name   string
		value  string
		quoted string // SyntaxError.Ref
		reason string // a substring of SyntaxError.Reason
	}{
		{"unterminated serverless quotes only its opening", "pw=hunter2 ${ssm:/x and more", "${ssm", "no closing '}'"},
		{"empty serverless name", "${ssm:}", "${ssm:}", "empty parameter name"},
		{"serverless without colon", "${ssm(raw)/x}", "${ssm(raw)/x}", "no ':'"},
		{"serverless unknown option", "${ssm(fast):/x}", "${ssm(fast):/x}", "unknown option"},
		{"serverless empty option", "${ssm(raw,):/x}", "${ssm(raw,):/x}", "empty option"},
		{"serverless two regions", "${ssm(eu-west-1,us-east-1):/x}", "${ssm(eu-west-1,us-east-1):/x}", "two regions"},
		{"serverless unclosed options", "${ssm(raw:/x}", "${ssm(raw:/x}", "no ')'"},
		{"serverless unknown legacy suffix", "${ssm:/x~maybe}", "${ssm:/x~maybe}", "unknown suffix"},
		{"serverless nested variable", "${ssm:/x/${self:stage}}", "${ssm", "nested"},
		{"serverless fallback is not quoted", "${ssm:/x, 'default-pw'}", "${ssm:/x, ...}", "fallback"},
		{"serverless bad character", "${ssm:/x y}", "${ssm:/x y}", "character"},
		{"serverless empty selector", "${ssm:/x:}", "${ssm:/x:}", "empty version"},
		{"serverless version zero", "${ssm:/x:0}", "${ssm:/x:0}", "out of range"},
		{"serverless region differs from ARN", "${ssm(us-east-1):" + paramARNValue + "}", "${ssm(us-east-1):" + paramARNValue + "}", "differs"},
		{"cfn unterminated", "{{resolve:ssm:/x}", "{{resolve:", "no closing"},
		{"cfn unknown service", "{{resolve:s3:b}}", "{{resolve:s3:b}}", "unknown service"},
		{"cfn no service separator", "{{resolve:ssm}}", "{{resolve:ssm}}", "no ':'"},
		{"cfn empty secret id", "{{resolve:secretsmanager:}}", "{{resolve:secretsmanager:}}", "empty secret name"},
		{"cfn SecretBinary is refused", "{{resolve:secretsmanager:s:SecretBinary}}", "{{resolve:secretsmanager:s:SecretBinary}}", "SecretString"},
		{"cfn stage and version together", "{{resolve:secretsmanager:s:SecretString::AWSCURRENT:abc}}", "{{resolve:secretsmanager:s:SecretString::AWSCURRENT:abc}}", "both"},
		{"cfn too many parts", "{{resolve:secretsmanager:s:SecretString:k:st:v:x}}", "{{resolve:secretsmanager:s:SecretString:k:st:v:x}}", "too many"},
		{"cfn bad secret ARN", "{{resolve:secretsmanager:arn:aws:secretsmanager:us-east-1}}", "{{resolve:secretsmanager:arn:aws:secretsmanager:us-east-1}}", "not a secret ARN"},
		{"cfn empty ssm name", "{{resolve:ssm:}}", "{{resolve:ssm:}}", "empty parameter name"},
		{"secret ARN without a name", "arn:aws:secretsmanager:us-east-1:123456789012:secret:", "arn:aws:secretsmanager:us-east-1:123456789012:secret:", "not a secret ARN"},
		{"secret ARN with a bad region", "arn:aws:secretsmanager:moon:123456789012:secret:x", "arn:aws:secretsmanager:moon:123456789012:secret:x", "region"},
		{"secret ARN with a bad account", "arn:aws:secretsmanager:us-east-1:abc:secret:x", "arn:aws:secretsmanager:us-east-1:abc:secret:x", "account"},
		{"secret ARN with too many parts", secretARNValue + ":a:b:c:d", secretARNValue + ":a:b:c:d", "too many"},
		{"parameter ARN with an empty name", "arn:aws:ssm:us-east-1:123456789012:parameter/", "arn:aws:ssm:us-east-1:123456789012:parameter/", "empty or invalid"},
		{"azure unterminated", "@Microsoft.KeyVault(VaultName=v", "@Microsoft.KeyVault(", "no closing"},
		{"azure unknown part", "@Microsoft.KeyVault(Vault=v)", "@Microsoft.KeyVault(Vault=v)", "unknown part"},
		{"azure part without equals", "@Microsoft.KeyVault(v)", "@Microsoft.KeyVault(v)", "without '='"},
		{"azure missing secret name", "@Microsoft.KeyVault(VaultName=v)", "@Microsoft.KeyVault(VaultName=v)", "no vault or secret"},
		{"azure uri not https", "@Microsoft.KeyVault(SecretUri=http://v.vault.azure.net/secrets/s)", "@Microsoft.KeyVault(SecretUri=http://v.vault.azure.net/secrets/s)", "not https"},
		{"azure uri host not a vault", "@Microsoft.KeyVault(SecretUri=https://example.com/secrets/s)", "@Microsoft.KeyVault(SecretUri=https://example.com/secrets/s)", "not a Key Vault"},
		{"azure uri path", "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/keys/s)", "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/keys/s)", "path"},
		{"azure uri and vault name together", "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/s;VaultName=v)", "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/s;VaultName=v)", "together"},
		{"azure part given twice", "@Microsoft.KeyVault(VaultName=v;VaultName=w;SecretName=s)", "@Microsoft.KeyVault(VaultName=v;VaultName=w;SecretName=s)", "twice"},
		{"azure bad secret name", "@Microsoft.KeyVault(VaultName=v;SecretName=a_b)", "@Microsoft.KeyVault(VaultName=v;SecretName=a_b)", "character"},
		{"gcp without version", "projects/p/secrets/s", "projects/p/secrets/s", "want projects/"},
		{"gcp empty version", "projects/p/secrets/s/versions/", "projects/p/secrets/s/versions/", "not latest"},
		{"gcp version zero", "projects/p/secrets/s/versions/0", "projects/p/secrets/s/versions/0", "out of range"},
		{"gcp uppercase project", "projects/P/secrets/s/versions/1", "projects/P/secrets/s/versions/1", "project"},
		{"coffer empty name", "coffer://", "coffer://", "empty secret name"},
		{"coffer empty key", "coffer://s#", "coffer://s#", "JSON key"},
		{"coffer unknown query", "coffer://s?label=x", "coffer://s?label=x", "unknown query part"},
		{"coffer query without value", "coffer://s?stage", "coffer://s?stage", "without a value"},
		{"coffer stage and version", "coffer://s?stage=a&version=b", "coffer://s?stage=a&version=b", "both"},
		{"coffer two fragments", "coffer://s#a#b", "coffer://s#a#b", "more than one"},
		{"coffer bad region", "coffer://s?region=mars", "coffer://s?region=mars", "not an AWS region"},
		{"coffer ARN region differs", "coffer://" + secretARNValue + "?region=us-east-1", "coffer://" + secretARNValue + "?region=us-east-1", "differs"},
		{"coffer ARN with ECS suffix", "coffer://" + secretARNValue + ":k", "coffer://" + secretARNValue + ":k", "#json-key"},
		{"coffer bad name", "coffer://a b", "coffer://a b", "character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := Find(tt.value)
			se, ok := errors.AsType[*SyntaxError](err)
			if !ok {
				t.Fatalf("Find(%q) = %v, %v; want a *SyntaxError", tt.value, ms, err)
			}
			if ms != nil {
				t.Errorf("Find(%q) returned matches with an error: %v", tt.value, ms)
			}
			if se.Ref != tt.quoted {
				t.Errorf("Find(%q) error quotes %q, want %q", tt.value, se.Ref, tt.quoted)
			}
			if !strings.Contains(se.Reason, tt.reason) {
				t.Errorf("Find(%q) error reason %q, want it to contain %q", tt.value, se.Reason, tt.reason)
			}
		})
	}
}

func TestSyntaxErrorQuotesAtMostALimit(t *testing.T) {
	long := "${ssm:/" + strings.Repeat("a", 3000) + " }"
	_, err := Find(long)
	se, ok := errors.AsType[*SyntaxError](err)
	if !ok {
		t.Fatalf("Find(long) error = %v, want a *SyntaxError", err)
	}
	if len(se.Ref) > maxQuoted+3 {
		t.Errorf("Find(long) quoted %d bytes, want at most %d", len(se.Ref), maxQuoted+3)
	}
}

func TestParameterName(t *testing.T) {
	tests := []struct {
		r    Ref
		want string
	}{
		{ssm("/x", true), "/x"},
		{ssm("/x", true, ssmVer(12)), "/x:12"},
		{ssm("/x", true, label("prod")), "/x:prod"},
		{ssm(paramARNValue, true, ssmVer(1)), paramARNValue + ":1"},
	}
	for _, tt := range tests {
		if got := tt.r.ParameterName(); got != tt.want {
			t.Errorf("%+v.ParameterName() = %q, want %q", tt.r, got, tt.want)
		}
	}
}
