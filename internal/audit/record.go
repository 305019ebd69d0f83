package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// A log file is JSON lines. Each line is one record:
//
//	{"seq":7,"prev":"<hex>","event":{...},"hash":"<hex>"}
//	{"seq":8,"prev":"<hex>","checkpoint":{...},"hash":"<hex>","sig":"<base64>"}
//
// hash is the SHA-256 of the line's body: the exact bytes of the line up
// to the `,"hash":` that ends it, followed by '}'. prev is the hash of the
// record before (64 zeros for seq 1). sig, on checkpoints only, is the
// Ed25519 signature of checkpointSigPrefix followed by the 32 hash bytes.
// The body is hashed as written, so no JSON canonicalization is needed.

const (
	hashMarker          = `,"hash":"`
	sigMarker           = `","sig":"`
	checkpointSigPrefix = "coffer audit checkpoint v1\n"
	hashHexLen          = sha256.Size * 2
	sigB64Len           = 88 // base64 of an Ed25519 signature
)

// Limits of the file format.
const (
	// maxLine is the longest line a reader accepts.
	maxLine = 64 << 10
	// maxBatch is the most events one write carries.
	maxBatch = 256
	// maxAbandon bounds the bytes one failed write (or a crash in the middle
	// of one) can leave after the last durable record: a batch of maxBatch
	// events of maxEventBytes plus its checkpoints, rounded up. A writer
	// resuming after a crash, and the verifier, refuse a larger damaged
	// tail: that is not what a crash leaves.
	maxAbandon = 8 << 20
)

// CheckpointReason says why a checkpoint was written.
type CheckpointReason string

const (
	// Interval checkpoints are written every LogConfig.CheckpointEvery
	// records or CheckpointInterval, whichever comes first.
	Interval CheckpointReason = "interval"
	// Rotate ends a file that reached its size or age; the chain continues
	// in the next file.
	Rotate CheckpointReason = "rotate"
	// Close ends the log when the writer closes it.
	Close CheckpointReason = "close"
	// Recover starts a file after the writer lost records it had not
	// acknowledged: after a crash, or a failed write. Its Resume says where
	// the chain continues from.
	Recover CheckpointReason = "recover"
)

// Checkpoint is a signed record: it vouches, through the chain, for every
// record before it.
type Checkpoint struct {
	Reason CheckpointReason `json:"reason"`
	Time   time.Time        `json:"time"`
	Key    string           `json:"key"`              // id of the signing key (keyID)
	Resume *Resume          `json:"resume,omitempty"` // Recover only
}

// Resume says where a Recover checkpoint continues the chain: after the
// record that ends at Offset in File, whose hash is the checkpoint's prev.
// Bytes after Offset in File were never acknowledged and are not part of
// the chain.
type Resume struct {
	Cause     string `json:"cause"`
	File      string `json:"file,omitempty"` // base name; "" when the chain restarts from nothing
	Offset    int64  `json:"offset"`
	Abandoned int64  `json:"abandoned"` // bytes after Offset in File when the writer resumed
	// SetAside names a file of the log's name pattern that held no intact
	// record and was renamed out of the chain, e.g. "audit-…jsonl.torn".
	SetAside string `json:"set_aside,omitempty"`
}

// record is a parsed line.
type record struct {
	Seq        uint64          `json:"seq"`
	Prev       string          `json:"prev"`
	Event      json.RawMessage `json:"event,omitempty"`
	Checkpoint *Checkpoint     `json:"checkpoint,omitempty"`

	hash [sha256.Size]byte
	sig  []byte
}

var zeroHash [sha256.Size]byte

// appendRecord appends to buf the line of the record with seq and prev,
// whose content is the already encoded JSON object body under the key
// "event" or "checkpoint". A checkpoint is signed with signer. It returns
// the new buf and the record's hash.
func appendRecord(buf []byte, seq uint64, prev *[sha256.Size]byte, checkpoint bool, body []byte, signer ed25519.PrivateKey) ([]byte, [sha256.Size]byte) {
	start := len(buf)
	buf = append(buf, `{"seq":`...)
	buf = strconv.AppendUint(buf, seq, 10)
	buf = append(buf, `,"prev":"`...)
	buf = hex.AppendEncode(buf, prev[:])
	if checkpoint {
		buf = append(buf, `","checkpoint":`...)
	} else {
		buf = append(buf, `","event":`...)
	}
	buf = append(buf, body...)
	buf = append(buf, '}')
	h := sha256.Sum256(buf[start:])
	buf = buf[:len(buf)-1]
	buf = append(buf, hashMarker...)
	buf = hex.AppendEncode(buf, h[:])
	if checkpoint {
		buf = append(buf, sigMarker...)
		buf = base64.StdEncoding.AppendEncode(buf, ed25519.Sign(signer, sigMessage(h)))
	}
	buf = append(buf, "\"}\n"...)
	return buf, h
}

func sigMessage(h [sha256.Size]byte) []byte {
	return append([]byte(checkpointSigPrefix), h[:]...)
}

// Errors of parseRecord; the verifier turns them into a ChainError kind.
var (
	errMalformed = errors.New("malformed record")
	errAltered   = errors.New("hash does not match the record")
)

// parseRecord parses one line (without its '\n'), checking that its hash
// matches its body. It does not check the signature or the chain.
func parseRecord(line []byte) (*record, error) {
	i := bytes.LastIndex(line, []byte(hashMarker))
	if i < 0 || len(line) < 2 || line[0] != '{' {
		return nil, errMalformed
	}
	tail := line[i+len(hashMarker):]
	if len(tail) < hashHexLen+2 || !isLowerHex(string(tail[:hashHexLen]), hashHexLen) {
		return nil, errMalformed
	}
	r := new(record)
	hex.Decode(r.hash[:], tail[:hashHexLen])
	tail = tail[hashHexLen:]
	switch {
	case string(tail) == `"}`:
	case len(tail) == len(sigMarker)+sigB64Len+2 && bytes.HasPrefix(tail, []byte(sigMarker)) && bytes.HasSuffix(tail, []byte(`"}`)):
		sig, err := base64.StdEncoding.Strict().DecodeString(string(tail[len(sigMarker) : len(sigMarker)+sigB64Len]))
		if err != nil || len(sig) != ed25519.SignatureSize {
			return nil, errMalformed
		}
		r.sig = sig
	default:
		return nil, errMalformed
	}
	body := make([]byte, i+1)
	copy(body, line[:i])
	body[i] = '}'
	if sha256.Sum256(body) != r.hash {
		return nil, errAltered
	}
	if err := json.Unmarshal(body, r); err != nil {
		return nil, errMalformed
	}
	if !isLowerHex(r.Prev, hashHexLen) || (r.Event == nil) == (r.Checkpoint == nil) || r.Seq == 0 {
		return nil, errMalformed
	}
	if (r.Checkpoint != nil) != (r.sig != nil) {
		return nil, errMalformed
	}
	return r, nil
}

// prevHash returns r.Prev decoded; parseRecord has checked its shape.
func (r *record) prevHash() (h [sha256.Size]byte) {
	hex.Decode(h[:], []byte(r.Prev))
	return h
}

// signedBy reports whether r is a checkpoint with a valid signature by pub.
func (r *record) signedBy(pub ed25519.PublicKey) bool {
	return r.Checkpoint != nil && r.Checkpoint.Key == keyID(pub) && ed25519.Verify(pub, sigMessage(r.hash), r.sig)
}
