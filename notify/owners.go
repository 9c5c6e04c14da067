package notify

import (
	"context"
	"errors"
	"time"

	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// CallReader is the calls' owner (calllog.Store) as the messages and link
// pages read a call, through db: a pool, or the transaction that projects
// the call's events, so that an SMS commits with them.
type CallReader interface {
	CallBriefIn(ctx context.Context, db calllog.Querier, callID string) (calllog.CallBrief, error)
	AttemptPhoneIn(ctx context.Context, db calllog.Querier, callID string, attempt int) (string, error)
	LastPhoneRungIn(ctx context.Context, db calllog.Querier, callID, rpps string) (string, error)
	CallbackStateIn(ctx context.Context, db calllog.Querier, callID string, now time.Time) (calllog.CallbackState, error)
}

// RosterReader is the roster's owner (roster.Store) as the messages and link
// pages read a call's territory, specialty and practitioners, through db.
type RosterReader interface {
	CallSettingIn(ctx context.Context, db roster.Querier, territoryID, specialtyID int64, gpRPPS string) (roster.CallSetting, error)
	EnrolledPhonesIn(ctx context.Context, db roster.Querier, territoryID int64, rpps string, role oncall.Role, specialtyID int64) ([]string, error)
	PractitionerNamesIn(ctx context.Context, db roster.Querier, rpps []string) (map[string]oncall.Practitioner, error)
	SpecialtyLabelsIn(ctx context.Context, db roster.Querier, ids []int64) (map[int64]string, error)
}

// Owners are the owners of the data notify's messages are made of; wiring
// passes calllog's and roster's stores.
type Owners struct {
	Calls  CallReader
	Roster RosterReader
}

func (o Owners) check() error {
	if o.Calls == nil || o.Roster == nil {
		return errors.New("notify: Owners.Calls and Owners.Roster are required")
	}
	return nil
}
