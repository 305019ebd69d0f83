package rotation

// Steps of the rotation protocol, in order.
const (
	StepCreate = "createSecret"
	StepSet    = "setSecret"
	StepTest   = "testSecret"
	StepFinish = "finishSecret"
)

// Steps lists the protocol's steps in the order they run.
var Steps = [...]string{StepCreate, StepSet, StepTest, StepFinish}

// Event is the payload a rotation function receives for one step: exactly
// the JSON AWS Secrets Manager sends a rotation Lambda.
type Event struct {
	SecretID           string `json:"SecretId"`           // the secret's full ARN
	ClientRequestToken string `json:"ClientRequestToken"` // the AWSPENDING version id
	Step               string `json:"Step"`
	// RotationToken is sent by newer AWS runtimes; handlers that do not
	// know it ignore it.
	RotationToken string `json:"RotationToken,omitempty"`
}
