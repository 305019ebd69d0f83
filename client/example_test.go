package client_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/coffer-dev/coffer/client"
)

// A function builds one Cache at start-up and reads through it on every
// invocation: the first read fetches, later ones are served from memory
// until the TTL runs out, so a rotated secret is picked up without a
// redeploy.
func ExampleNew() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx) // AWS_ENDPOINT_URL points it at Coffer
	if err != nil {
		log.Fatal(err)
	}
	secrets, err := client.New(cfg, func(o *client.Options) {
		o.TTL = time.Minute
		o.RefreshAhead = 0.2       // refresh in the background in the last 12s
		o.VersionCheck = true      // DescribeSecret before fetching the value again
		o.StaleIfError = time.Hour // ride out an outage of the server
	})
	if err != nil {
		log.Fatal(err)
	}
	defer secrets.Close()

	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		key, err := secrets.GetSecretString(r.Context(), "github/api-key")
		if err != nil {
			http.Error(w, "secret unavailable", http.StatusServiceUnavailable)
			return
		}
		_ = key // call the API with it; never log it
	})
}

// An RDS-style secret is a JSON object; GetSecretJSONField reads one field
// of it, parsing the object once per fetched version.
func ExampleCache_GetSecretJSONField() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	secrets, err := client.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer secrets.Close()

	user, err := secrets.GetSecretJSONField(ctx, "prod/db", "username")
	if err != nil {
		log.Fatal(err) // names the secret and the field, never the value
	}
	password, err := secrets.GetSecretJSONField(ctx, "prod/db", "password")
	if err != nil {
		log.Fatal(err)
	}
	_, _ = user, password // open the database connection with them
}
