package iamapi

import (
	"context"

	"github.com/coffer-dev/coffer/internal/iam"
)

// Access keys belong to users; every action here acts on the user named by
// UserName or, when it is omitted, on the calling user.

type CreateAccessKeyInput struct{ callerRef }

func (a *API) createAccessKey(ctx context.Context, in *CreateAccessKeyInput) (any, error) {
	k, err := a.store.CreateAccessKey(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	return &CreateAccessKeyOutput{AccessKey: AccessKey{
		UserName: k.UserName, AccessKeyID: k.ID, Status: k.Status, CreateDate: dateTime(k.Created),
		SecretAccessKey: k.Secret.Reveal(), // the one response that carries it
	}}, nil
}

type ListAccessKeysInput struct {
	callerRef
	paging
}

func (in *ListAccessKeysInput) read(f *form) {
	in.callerRef.read(f)
	in.paging = f.paging()
}

func (a *API) listAccessKeys(ctx context.Context, in *ListAccessKeysInput) (any, error) {
	keys, err := a.store.AccessKeys(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	keys, pg, err := paginate(keys, func(k iam.AccessKey) string { return k.ID }, in.paging)
	if err != nil {
		return nil, err
	}
	out := &ListAccessKeysOutput{AccessKeyMetadata: make(members[AccessKeyMetadata], len(keys)), page: pg}
	for i, k := range keys {
		out.AccessKeyMetadata[i] = AccessKeyMetadata{UserName: k.UserName, AccessKeyID: k.ID, Status: k.Status, CreateDate: dateTime(k.Created)}
	}
	return out, nil
}

type UpdateAccessKeyInput struct {
	callerRef
	AccessKeyID string
	Status      string
}

func (in *UpdateAccessKeyInput) read(f *form) {
	in.callerRef.read(f)
	in.AccessKeyID = f.required("AccessKeyId", "accessKeyId", accessKeyIDType)
	in.Status = f.enum("Status", "status", iam.KeyActive, iam.KeyInactive, "Expired")
}

func (a *API) updateAccessKey(ctx context.Context, in *UpdateAccessKeyInput) (any, error) {
	return nil, a.store.UpdateAccessKey(ctx, in.UserName, in.AccessKeyID, in.Status)
}

type DeleteAccessKeyInput struct {
	callerRef
	AccessKeyID string
}

func (in *DeleteAccessKeyInput) read(f *form) {
	in.callerRef.read(f)
	in.AccessKeyID = f.required("AccessKeyId", "accessKeyId", accessKeyIDType)
}

func (a *API) deleteAccessKey(ctx context.Context, in *DeleteAccessKeyInput) (any, error) {
	return nil, a.store.DeleteAccessKey(ctx, in.UserName, in.AccessKeyID)
}
