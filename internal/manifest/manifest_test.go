package manifest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// seedServerless is the seeds' insecure example (shared/seeds/003), with
// its odd one-space indentation of service.name.
const seedServerless = `
service:
 name: hello-world

provider:
  name: aws

functions:
  helloWorld:
    handler: helloworld.get
    environment:
      GITHUB_API_KEY: ABCDEF

  goodbyeWorld:
    handler: goodbye.get
`

// rewriteNamed parses data, rewrites the variables named in values (by
// Scope/Name or Name) and returns the result.
func rewriteNamed(t *testing.T, name, data string, values map[string]string) (*File, *Rewritten) {
	t.Helper()
	f, err := Parse(name, []byte(data), 0)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	idx := map[int]string{}
	for i, v := range f.Vars {
		if nv, ok := values[v.Scope+"/"+v.Name]; ok {
			idx[i] = nv
		} else if nv, ok := values[v.Name]; ok {
			idx[i] = nv
		}
	}
	if len(idx) != len(values) {
		t.Fatalf("found %d of the %d variables to rewrite in %+v", len(idx), len(values), f.Vars)
	}
	r, err := f.Rewrite(idx)
	if err != nil {
		t.Fatalf("Rewrite: %v", err)
	}
	return f, r
}

func TestSeedServerlessRewritesOnlyTheValue(t *testing.T) {
	f, r := rewriteNamed(t, "serverless.yml", seedServerless, map[string]string{"GITHUB_API_KEY": "${ssm:/hello-world/github-api-key}"})
	if f.Format != Serverless || f.Service != "hello-world" {
		t.Errorf("Parse = format %v, service %q; want serverless, hello-world", f.Format, f.Service)
	}
	want := []Var{{Name: "GITHUB_API_KEY", Scope: "helloWorld", Where: "functions.helloWorld.environment", Line: 12, Value: "ABCDEF", Literal: true}}
	if diff := cmp.Diff(want, f.Vars, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".leaf" }, cmp.Ignore())); diff != "" {
		t.Errorf("Vars (-want +got):\n%s", diff)
	}
	wantData := strings.Replace(seedServerless, "ABCDEF", "${ssm:/hello-world/github-api-key}", 1)
	if got := string(r.Data); got != wantData {
		t.Errorf("rewritten:\n%s\nwant:\n%s", got, wantData)
	}
	diff := r.Diff("serverless.yml", nil)
	wantDiff := `--- a/serverless.yml
+++ b/serverless.yml
@@ -9,7 +9,7 @@
   helloWorld:
     handler: helloworld.get
     environment:
-      GITHUB_API_KEY: *****
+      GITHUB_API_KEY: ${ssm:/hello-world/github-api-key}
 
   goodbyeWorld:
     handler: goodbye.get
`
	if diff != wantDiff {
		t.Errorf("Diff:\n%s\nwant:\n%s", diff, wantDiff)
	}
}

const samTemplate = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
# Globals first
Globals:
  Function:
    Environment:
      Variables:
        STRIPE_SECRET_KEY: "sk_live_dq\"x"   # double quoted, with an escape
        LOG_LEVEL: info
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Environment:
        Variables:
          DB_PASSWORD: 'it''s-a-secret'
          TABLE: !Ref Table
          API_TOKEN: !Sub '${Prefix}-token'
          OTHER_TOKEN: {"Fn::GetAtt": [X, Y]}
          SIGNING_KEY: |  # PEM
            -----BEGIN KEY-----
            abc
            -----END KEY-----

          FLOW: {AUTH_TOKEN: flowtok3n, X: 1}
          READY: true
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      Environment:
        Variables:
          NOT_A_FUNCTION_KEY: untouched
`

func TestSAMTemplate(t *testing.T) {
	ref := func(n string) string { return "{{resolve:secretsmanager:app/" + n + ":SecretString}}" }
	f, r := rewriteNamed(t, "template.yaml", samTemplate, map[string]string{
		"STRIPE_SECRET_KEY": ref("stripe"), "DB_PASSWORD": ref("db"), "SIGNING_KEY": ref("signing"),
	})
	if f.Format != CloudFormation {
		t.Errorf("format %v, want cloudformation", f.Format)
	}
	got := map[string]string{}
	for _, v := range f.Vars {
		got[v.Scope+"/"+v.Name] = v.NotLiteral
	}
	want := map[string]string{
		"/STRIPE_SECRET_KEY": "", "/LOG_LEVEL": "",
		"Api/DB_PASSWORD": "", "Api/TABLE": "a CloudFormation intrinsic function (!Ref)",
		"Api/API_TOKEN":   "a CloudFormation intrinsic function (!Sub)",
		"Api/OTHER_TOKEN": "a CloudFormation intrinsic function (Fn::GetAtt)",
		"Api/SIGNING_KEY": "", "Api/FLOW": "not a string", "Api/READY": "a boolean",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("variables and why they are not literal (-want +got):\n%s", diff)
	}
	wantData := strings.NewReplacer(
		`"sk_live_dq\"x"`, `"`+ref("stripe")+`"`,
		`'it''s-a-secret'`, `'`+ref("db")+`'`,
		"|  # PEM\n            -----BEGIN KEY-----\n            abc\n            -----END KEY-----\n", "'"+ref("signing")+"'  # PEM\n",
	).Replace(samTemplate)
	if string(r.Data) != wantData {
		t.Errorf("rewritten:\n%s\nwant:\n%s", r.Data, wantData)
	}
	d := r.Diff("template.yaml", []string{"flowtok3n"})
	for _, secret := range []string{"sk_live", "it''s", "abc", "BEGIN KEY", "flowtok3n"} {
		if strings.Contains(d, secret) {
			t.Errorf("diff shows %q:\n%s", secret, d)
		}
	}
	if !strings.Contains(d, "\n-*****\n") || !strings.Contains(d, "+          DB_PASSWORD: '"+ref("db")+"'\n") {
		t.Errorf("diff does not show the masked and new lines:\n%s", d)
	}
}

func TestFlowMappingValueIsQuoted(t *testing.T) {
	src := "service: s\nprovider:\n  environment: {API_KEY: abcd1234, B: x}\n"
	_, r := rewriteNamed(t, "serverless.yml", src, map[string]string{"API_KEY": "${ssm:/s/api-key}"})
	if want := "service: s\nprovider:\n  environment: {API_KEY: '${ssm:/s/api-key}', B: x}\n"; string(r.Data) != want {
		t.Errorf("rewritten %q, want %q", r.Data, want)
	}
}

const cfnJSON = `{
	"AWSTemplateFormatVersion": "2010-09-09",
	"Resources": {
		"Fn": {
			"Type": "AWS::Lambda::Function",
			"Properties": {
				"Environment": {"Variables": {
					"API_KEY": "k-12345\u00e9",
					"REF": {"Ref": "X"}
				}}
			}
		}
	}
}
`

func TestCloudFormationJSON(t *testing.T) {
	_, r := rewriteNamed(t, "template.json", cfnJSON, map[string]string{"API_KEY": "{{resolve:secretsmanager:t/api-key:SecretString}}"})
	want := strings.Replace(cfnJSON, `"k-12345\u00e9"`, `"{{resolve:secretsmanager:t/api-key:SecretString}}"`, 1)
	if string(r.Data) != want {
		t.Errorf("rewritten:\n%s\nwant:\n%s", r.Data, want)
	}
}

func TestEnvFile(t *testing.T) {
	src := "# app settings\r\nexport DB_PASSWORD = hunter22  \r\nQUOTED_TOKEN='tok en'\nDQ_SECRET=\"a\\\"b\"\nPORT=8080\nREF=coffer://x\n"
	f, r := rewriteNamed(t, ".env", src, map[string]string{
		"DB_PASSWORD": "coffer://app/db-password", "QUOTED_TOKEN": "coffer://app/quoted-token", "DQ_SECRET": "coffer://app/dq-secret",
	})
	want := "# app settings\r\nexport DB_PASSWORD = coffer://app/db-password  \r\nQUOTED_TOKEN='coffer://app/quoted-token'\nDQ_SECRET=\"coffer://app/dq-secret\"\nPORT=8080\nREF=coffer://x\n"
	if string(r.Data) != want {
		t.Errorf("rewritten %q\nwant      %q", r.Data, want)
	}
	if v := f.Vars[len(f.Vars)-1]; v.Literal || v.NotLiteral != "already a reference" {
		t.Errorf("REF: Literal %v (%s), want a reference", v.Literal, v.NotLiteral)
	}
	if f.Vars[2].Value != `a"b` {
		t.Errorf("DQ_SECRET = %q, want the unescaped value", f.Vars[2].Value)
	}
	d := r.Diff(".env", nil)
	for _, s := range []string{"hunter22", "tok en", `a\"b`} {
		if strings.Contains(d, s) {
			t.Errorf("diff shows %q:\n%s", s, d)
		}
	}
}

func TestParseEnvErrorsQuoteNothing(t *testing.T) {
	for _, src := range []string{"hunter2-line\n", "A='hunter2\n", "1A=hunter2\n"} {
		_, err := ParseEnv([]byte(src))
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseEnv(%q) = %v, want an error without the text", src, err)
		}
	}
}

func TestMultiLinePlainValueIsRefused(t *testing.T) {
	src := "service: s\nprovider:\n  environment:\n    API_KEY: abc\n      def\n"
	f, err := Parse("serverless.yml", []byte(src), 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Rewrite(map[int]string{0: "${ssm:/s/api-key}"})
	if err == nil || strings.Contains(err.Error(), "abc") {
		t.Errorf("Rewrite of a multi-line plain value = %v, want an error without the value", err)
	}
}

func TestLooksSecret(t *testing.T) {
	for name, want := range map[string]bool{
		"GITHUB_API_KEY": true, "dbPassword": true, "SENTRY_DSN": true, "DB_PASSWD": true,
		"AWS_SECRET_ACCESS_KEY": true, "CLIENT_SECRET": true, "AUTH_TOKEN": true, "PRIVATE_KEY": true,
		"DB_CONNECTION_STRING": true, "apiKey": true, "MY_PWD": true, "GOOGLE_CREDENTIALS": true,
		"AWS_ACCESS_KEY_ID": false, "SECRET_ARN": false, "AUTH_URL": false, "STRIPE_PUBLISHABLE_KEY": false,
		"PUBLIC_KEY": false, "TOKEN_TTL": false, "LOG_LEVEL": false, "MONKEY": false, "KEYBOARD": false,
		"TABLE_NAME": false, "PASSWORD_MIN_LENGTH": false,
	} {
		if got := LooksSecret(name); got != want {
			t.Errorf("LooksSecret(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestDetect(t *testing.T) {
	for _, tt := range []struct {
		name, data string
		want       Format
	}{
		{"serverless.yml", seedServerless, Serverless},
		{"template.yaml", samTemplate, CloudFormation},
		{"stack.json", cfnJSON, CloudFormation},
		{".env", "A=1\n", Env},
		{".env.production", "A=1\n", Env},
		{"app.env", "A=1\n", Env},
	} {
		if got, err := Detect(tt.name, []byte(tt.data)); got != tt.want || err != nil {
			t.Errorf("Detect(%s) = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := Detect("x.yml", []byte("a: 1\n")); err == nil {
		t.Error("Detect of an unknown YAML file succeeded")
	}
}
