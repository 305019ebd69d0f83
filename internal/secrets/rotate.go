package secrets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/rotation/schedule"
	"github.com/coffer-dev/coffer/internal/storage"
)

// rotationRecord is a secret's rotation configuration and the state of the
// rotation in progress, stored in its record so that labels and rotation
// state change in one transaction and survive restarts.
type rotationRecord struct {
	Enabled     bool      `json:"e,omitempty"`
	LambdaARN   string    `json:"l,omitempty"`
	AfterDays   int64     `json:"ad,omitempty"`
	Expression  string    `json:"se,omitempty"`
	Duration    string    `json:"du,omitempty"`
	LastRotated time.Time `json:"lr,omitzero"`
	Next        time.Time `json:"nx,omitzero"` // start of the next window; zero when not scheduled

	// The rotation in progress (Token != ""), run by the scheduler.
	Token    string    `json:"tk,omitempty"`
	Attempts int       `json:"at,omitempty"`
	RetryAt  time.Time `json:"ra,omitzero"`
	// The last failure, kept until a rotation completes.
	FailedStep string    `json:"fs,omitempty"`
	FailedMsg  string    `json:"fm,omitempty"`
	FailedAt   time.Time `json:"fa,omitzero"`
}

func (r *rotationRecord) rules() schedule.Rules {
	return schedule.Rules{AfterDays: r.AfterDays, Expression: r.Expression, Duration: r.Duration}
}

func (r *rotationRecord) hasRules() bool { return r.AfterDays != 0 || r.Expression != "" }

// schedule returns the parsed rules, or nil when there are none. Stored
// rules were validated when set.
func (r *rotationRecord) schedule() *schedule.Schedule {
	if !r.hasRules() {
		return nil
	}
	s, err := schedule.Parse(r.rules())
	if err != nil {
		return nil
	}
	return s
}

// Rotation is a secret's rotation configuration and state, as
// DescribeSecret reports it (plus Coffer's failure report).
type Rotation struct {
	Enabled     bool
	LambdaARN   string
	Rules       schedule.Rules // AfterDays filled in from the schedule
	LastRotated time.Time
	Next        time.Time
	// InProgress is the AWSPENDING version id of a rotation not finished.
	InProgress string
	Failure    *RotationFailure
}

// RotationFailure describes the last failed attempt of a rotation.
type RotationFailure struct {
	Step     string
	Message  string
	Time     time.Time
	Attempts int
	RetryAt  time.Time // zero when no retry is planned
}

func (r *rotationRecord) toRotation() *Rotation {
	if r == nil {
		return nil
	}
	out := &Rotation{Enabled: r.Enabled, LambdaARN: r.LambdaARN, Rules: r.rules(), InProgress: r.Token}
	if sch := r.schedule(); sch != nil && out.Rules.AfterDays == 0 {
		out.Rules.AfterDays = sch.Days()
	}
	if r.Enabled {
		out.LastRotated, out.Next = r.LastRotated, r.Next
	}
	if r.FailedStep != "" || r.FailedMsg != "" {
		out.Failure = &RotationFailure{Step: r.FailedStep, Message: r.FailedMsg, Time: r.FailedAt, Attempts: r.Attempts}
		if r.Token != "" {
			out.Failure.RetryAt = r.RetryAt
		}
	}
	return out
}

// RotateInput is a RotateSecret request.
type RotateInput struct {
	SecretID  string
	Token     string
	LambdaARN string
	Rules     *schedule.Rules
	// Immediately is RotateImmediately; nil means true.
	Immediately *bool
}

// ErrRotationInProgress reports a RotateSecret while an earlier rotation
// has not finished (AWSPENDING on a version that is not AWSCURRENT).
var ErrRotationInProgress = &InvalidRequestError{Reason: "A previous rotation isn't complete. That rotation will be reattempted."}

// Rotate implements RotateSecret: it stores the rotation configuration and,
// unless told not to, starts a rotation - the new version id appears at
// once, labelled AWSPENDING and without a value, and the scheduler calls
// the rotation function for each step.
func (s *Service) Rotate(ctx context.Context, call Call, in RotateInput) (*WriteResult, error) {
	if err := validateToken(in.Token); err != nil {
		return nil, err
	}
	var sch *schedule.Schedule
	if in.Rules != nil {
		var err error
		if sch, err = schedule.Parse(*in.Rules); err != nil {
			return nil, invalidParam("RotationRules", "%s", err.Error())
		}
	}
	immediately := in.Immediately == nil || *in.Immediately
	token := in.Token
	if immediately && token == "" {
		token = newVersionID()
	}
	rec, err := s.update(ctx, call, in.SecretID, "secretsmanager:RotateSecret", nil, func(l *loaded, rec *secretRecord) (*mutation, error) {
		if err := writable(rec); err != nil {
			return nil, err
		}
		rot := rec.Rotation
		if rot == nil {
			rot = &rotationRecord{}
		} else {
			c := *rot
			rot = &c
		}
		if in.LambdaARN != "" {
			rot.LambdaARN = in.LambdaARN
		}
		if rot.LambdaARN == "" {
			return nil, invalidRequest("No Lambda rotation function ARN is associated with this secret.")
		}
		if s.checkFunction != nil {
			if err := s.checkFunction(call.Region, rot.LambdaARN); err != nil {
				return nil, err
			}
		}
		if in.Rules != nil {
			r := sch.Rules()
			rot.AfterDays, rot.Expression, rot.Duration = r.AfterDays, r.Expression, r.Duration
		}
		now := s.now().UTC()
		rot.Enabled = rot.hasRules()
		sch := sch // the rules given, else the stored ones
		if sch == nil {
			sch = rot.schedule()
		}
		if rot.Enabled && sch != nil {
			base := rot.LastRotated
			if base.IsZero() || in.Rules != nil {
				base = now
			}
			rot.Next = sch.Next(base)
		}
		rec.Rotation = rot
		if !immediately {
			return &mutation{}, nil
		}
		if pend := rec.staged(StagePending); pend != nil && !pend.hasStage(StageCurrent) {
			if pend.ID != token || rot.Token != token {
				return nil, ErrRotationInProgress
			}
			rot.RetryAt = now // the same request again: retry it now
			return &mutation{}, nil
		}
		if v := rec.version(token); v != nil {
			return nil, &TokenInUseError{Token: token, ARN: rec.ARN}
		}
		rec.startRotation(token, now)
		return &mutation{}, nil
	})
	if err != nil {
		return nil, err
	}
	if immediately && s.rotationDue != nil {
		s.rotationDue()
	}
	res := &WriteResult{ARN: rec.ARN, Name: rec.Name}
	if immediately {
		res.VersionID = token
	}
	return res, nil
}

// startRotation adds the AWSPENDING version token, without a value yet,
// and records the rotation as in progress.
func (r *secretRecord) startRotation(token string, now time.Time) {
	r.Versions = append(r.Versions, versionRecord{ID: token, Created: toStamp(now), NoValue: true})
	r.moveStage(StagePending, token)
	r.Rotation.Token = token
	r.Rotation.Attempts = 0
	r.Rotation.RetryAt = now
}

// CancelRotate implements CancelRotateSecret: automatic rotation stops and
// a rotation in progress is abandoned. Its AWSPENDING version stays, as
// AWS leaves it; the result names it so the caller can remove the label.
func (s *Service) CancelRotate(ctx context.Context, call Call, id string) (*WriteResult, error) {
	pending := ""
	rec, err := s.update(ctx, call, id, "secretsmanager:CancelRotateSecret", nil, func(l *loaded, rec *secretRecord) (*mutation, error) {
		if err := writable(rec); err != nil {
			return nil, err
		}
		if v := rec.staged(StagePending); v != nil && !v.hasStage(StageCurrent) {
			pending = v.ID
		}
		if rec.Rotation == nil {
			return nil, errNoChange
		}
		rot := *rec.Rotation
		rot.Enabled, rot.Next = false, time.Time{}
		rot.Token, rot.RetryAt, rot.Attempts = "", time.Time{}, 0
		rec.Rotation = &rot
		return &mutation{}, nil
	})
	if errors.Is(err, errNoChange) {
		err = nil
		if rec == nil {
			l, rerr := s.resolve(ctx, call.Region, id)
			if rerr != nil {
				return nil, rerr
			}
			rec = l.rec
		}
	}
	if err != nil {
		return nil, err
	}
	return &WriteResult{ARN: rec.ARN, Name: rec.Name, VersionID: pending}, nil
}

// Scheduler side. These calls act as the system, not as a caller: the
// scheduler is not subject to policies.

var systemPrincipal = iam.Principal{Admin: true, ARN: "arn:aws:iam::coffer:scheduler", Name: "coffer-scheduler"}

func systemCall(region string) Call {
	return Call{Principal: systemPrincipal, Region: region, SecureTransport: true}
}

// DueRotation is a rotation the scheduler should run now.
type DueRotation struct {
	Region    string
	ARN       string
	LambdaARN string
	// Token is the AWSPENDING version of a rotation in progress, or "" for
	// a scheduled rotation that BeginRotation will start.
	Token   string
	Attempt int
}

// DueRotations lists the secrets, in every Region, whose rotation is due
// at now: a rotation in progress whose retry time has come, or an enabled
// schedule whose window has opened.
func (s *Service) DueRotations(ctx context.Context, now time.Time) ([]DueRotation, error) {
	var due []DueRotation
	err := s.eachRecord(ctx, func(region string, _ storage.KV, rec *secretRecord) error {
		rot := rec.Rotation
		if rot == nil || rec.isDeleted() || rec.isReplica() || rot.LambdaARN == "" {
			return nil
		}
		switch {
		case rot.Token != "" && !now.Before(rot.RetryAt):
			due = append(due, DueRotation{Region: region, ARN: rec.ARN, LambdaARN: rot.LambdaARN, Token: rot.Token, Attempt: rot.Attempts + 1})
		case rot.Token == "" && rot.Enabled && !rot.Next.IsZero() && !now.Before(rot.Next):
			due = append(due, DueRotation{Region: region, ARN: rec.ARN, LambdaARN: rot.LambdaARN, Attempt: 1})
		}
		return nil
	})
	return due, err
}

// ErrNotDue reports that BeginRotation found nothing to run (the rotation
// finished, was cancelled, or is not due any more).
var ErrNotDue = errors.New("secrets: rotation not due")

// BeginRotation makes the rotation of the secret arn ready to run and
// returns its token: the token of the rotation in progress, or - for a
// scheduled rotation whose window has opened - a new AWSPENDING version.
func (s *Service) BeginRotation(ctx context.Context, region, arn string) (token, lambdaARN string, err error) {
	_, err = s.update(ctx, systemCall(region), arn, "secretsmanager:RotateSecret", nil, func(l *loaded, rec *secretRecord) (*mutation, error) {
		rot := rec.Rotation
		if rot == nil || rec.isDeleted() || rec.isReplica() {
			return nil, ErrNotDue
		}
		now := s.now().UTC()
		if rot.Token != "" {
			if now.Before(rot.RetryAt) {
				return nil, ErrNotDue
			}
			token, lambdaARN = rot.Token, rot.LambdaARN
			return nil, errNoChange
		}
		if !rot.Enabled || rot.Next.IsZero() || now.Before(rot.Next) {
			return nil, ErrNotDue
		}
		if pend := rec.staged(StagePending); pend != nil && !pend.hasStage(StageCurrent) {
			// A version left pending (by a cancelled rotation, or by hand):
			// as AWS does, carry that rotation on.
			token = pend.ID
		} else {
			token = newVersionID()
		}
		c := *rot
		rec.Rotation = &c
		if token == c.Token || rec.version(token) != nil {
			c.Token, c.RetryAt = token, now
		} else {
			rec.startRotation(token, now)
		}
		lambdaARN = c.LambdaARN
		return &mutation{}, nil
	})
	if errors.Is(err, errNoChange) {
		err = nil
	}
	return token, lambdaARN, err
}

// EndRotation records the outcome of a run of the rotation token. failure
// is nil when all four steps succeeded; the rotation then counts as done
// only if the token's version carries AWSCURRENT. After a failure the
// rotation stays in progress (AWSPENDING in place, AWSCURRENT untouched)
// and is retried at retryAt. A run for a token that is no longer the one
// in progress (cancelled meanwhile) changes nothing.
func (s *Service) EndRotation(ctx context.Context, region, arn, token string, failure *RotationFailure, retryAt time.Time) error {
	var notCurrent bool
	_, err := s.update(ctx, systemCall(region), arn, "secretsmanager:RotateSecret", nil, func(l *loaded, rec *secretRecord) (*mutation, error) {
		if rec.Rotation == nil || rec.Rotation.Token != token {
			return nil, errNoChange
		}
		rot := *rec.Rotation
		rec.Rotation = &rot
		now := s.now().UTC()
		if failure == nil {
			if v := rec.version(token); v == nil || !v.hasStage(StageCurrent) {
				notCurrent = true
				failure = &RotationFailure{Step: "finishSecret", Message: "the rotation function finished without moving AWSCURRENT to version " + token}
			}
		}
		rot.Attempts++
		if failure != nil {
			rot.FailedStep, rot.FailedMsg, rot.FailedAt = failure.Step, failure.Message, now
			rot.RetryAt = retryAt
			return &mutation{}, nil
		}
		rot.Token, rot.Attempts, rot.RetryAt = "", 0, time.Time{}
		rot.FailedStep, rot.FailedMsg, rot.FailedAt = "", "", time.Time{}
		rot.LastRotated = now
		if sch := rot.schedule(); rot.Enabled && sch != nil {
			rot.Next = sch.Next(now)
		}
		return &mutation{}, nil
	})
	if errors.Is(err, errNoChange) {
		return nil
	}
	if err == nil && notCurrent {
		return fmt.Errorf("rotation of %s: AWSCURRENT was not moved to %s", arn, token)
	}
	return err
}

// eachRecord calls fn for every readable secret record in every Region.
func (s *Service) eachRecord(ctx context.Context, fn func(region string, kv storage.KV, rec *secretRecord) error) error {
	kvs, err := s.backend.List(ctx, "sms/", "", 0)
	if err != nil {
		return fmt.Errorf("list secrets: %w", err)
	}
	for _, kv := range kvs {
		rec, err := s.decodeKV(kv.Key, kv.Value)
		if err != nil {
			s.log.Error("unreadable secret record", "err", err)
			continue
		}
		if err := fn(regionOfKey(kv.Key), kv, rec); err != nil {
			return err
		}
	}
	return nil
}
