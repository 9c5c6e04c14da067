package console

import (
	"context"
	"io"
	"time"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/billing"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/notify"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
)

// Deps are the data owners the console asks, each seen through the few
// methods one family of pages calls. The composition root builds them
// once; the console holds no SQL and builds no store.
type Deps struct {
	Accounts  accountsDesk
	People    peopleBook
	Planning  planningBook
	Feeds     calendarFeeds
	Board     rosterBoard
	Names     rosterNames
	Calls     callBook
	Callbacks callbackBook
	SMS       smsDesk
	Billing   billingBook
	Journal   journalReader
	Stats     statsSource
}

func (d Deps) complete() bool {
	return d.Accounts != nil && d.People != nil && d.Planning != nil && d.Feeds != nil && d.Board != nil &&
		d.Names != nil && d.Calls != nil && d.Callbacks != nil && d.SMS != nil && d.Billing != nil &&
		d.Journal != nil && d.Stats != nil
}

// accountsDesk signs coordinators in and out, says what they may see, and
// prepares the journal rows of their changes.
type accountsDesk interface {
	Login(ctx context.Context, email, password string, c accounts.ClientInfo) (string, error)
	EnrolmentSecret(ctx context.Context, sess accounts.Session) (string, error)
	CompleteLogin(ctx context.Context, sess accounts.Session, code string, c accounts.ClientInfo) (string, error)
	Session(ctx context.Context, token string) (accounts.Session, error)
	Logout(ctx context.Context, sess accounts.Session) error
	Territories(ctx context.Context, a accounts.Account) ([]accounts.Territory, error)
	Audit(ctx context.Context, e accounts.AuditEntry) error
	JournalRow(actor string, territoryID int64, action string) accounts.JournalRow
}

// peopleBook is the roster as the People pages see it.
type peopleBook interface {
	People(ctx context.Context, scope roster.Scope, f roster.PeopleFilter) ([]roster.PersonRow, error)
	LockedNumbersOf(ctx context.Context, territoryID int64, now time.Time) (map[string][]roster.LockSource, error)
	EnrolmentIn(ctx context.Context, scope roster.Scope, id int64) (roster.EnrolmentCard, error)
	Unlock(ctx context.Context, req roster.UnlockRequest) (roster.Unlocked, error)
	SetNewPIN(ctx context.Context, territoryID int64, rpps string) (string, error)
	TerritoryBySlug(ctx context.Context, slug string) (oncall.Territory, error)
	DirectoryName(ctx context.Context, rpps string) (last, first string, err error)
	Enrol(ctx context.Context, spec roster.EnrolSpec) (roster.Change, error)
	RemoveEnrolment(ctx context.Context, scope roster.Scope, e roster.EnrolmentCard, at time.Time) error
}

// planningBook is the roster as the Planning pages see it.
type planningBook interface {
	TerritoryBySlug(ctx context.Context, slug string) (oncall.Territory, error)
	Gaps(ctx context.Context, territoryID int64, from time.Time, days int) ([]roster.Gap, error)
	Shifts(ctx context.Context, territoryID int64, f roster.ShiftFilter) ([]roster.Shift, error)
	Overrides(ctx context.Context, territoryID int64, from, to time.Time) ([]roster.Override, error)
	Enrolments(ctx context.Context, territoryID int64) ([]oncall.Enrolment, error)
	Shift(ctx context.Context, territoryID, id int64) (roster.Shift, error)
	AddShift(ctx context.Context, territoryID int64, in roster.ShiftForm) (roster.Shift, error)
	UpdateShift(ctx context.Context, territoryID, id int64, in roster.ShiftForm) (roster.Shift, error)
	DeleteShift(ctx context.Context, territoryID, id int64) (roster.Shift, error)
	AddOverride(ctx context.Context, territoryID int64, in roster.NewOverride) (roster.Override, error)
	DeleteOverride(ctx context.Context, territoryID, id int64) error
	ImportShifts(ctx context.Context, territoryID int64, file string, r io.Reader, dryRun bool) (roster.ImportReport, error)
}

// rosterBoard is the roster as the home page sums it up.
type rosterBoard interface {
	Counts(ctx context.Context, scope roster.Scope, now, until time.Time) (roster.RosterCounts, error)
	GPsWithoutPIN(ctx context.Context, territoryID int64) (int, error)
	DutyBoard(ctx context.Context, territoryID int64, at time.Time) ([]roster.DutyNow, error)
	Gaps(ctx context.Context, territoryID int64, from time.Time, days int) ([]roster.Gap, error)
}

// rosterNames names what the call pages show by id: specialties and
// practitioners.
type rosterNames interface {
	SpecialtyChoices(ctx context.Context, scope roster.Scope) ([]roster.SpecialtyChoice, error)
	SpecialtyLabel(ctx context.Context, scope roster.Scope, id int64) (string, error)
	PractitionerNames(ctx context.Context, rpps []string) (map[string]string, error)
}

// callBook is the call log as the Appels pages and the home page read it.
type callBook interface {
	ListCalls(ctx context.Context, scope calllog.Scope, f calllog.CallFilter, page, limit int) (calllog.CallPage, error)
	EachCall(ctx context.Context, scope calllog.Scope, f calllog.CallFilter, fn func(calllog.CallRow) error) error
	CallIn(ctx context.Context, scope calllog.Scope, id string) (calllog.CallRecord, error)
	FollowUps(ctx context.Context, scope calllog.Scope, pendingBefore time.Time) (calllog.FollowUps, error)
}

// callbackBook is the call log's callback requests, as the Rappels page and
// a call's page follow them up.
type callbackBook interface {
	OpenCallbacks(ctx context.Context, scope calllog.Scope, limit int) ([]calllog.Callback, error)
	ClosedCallbacks(ctx context.Context, scope calllog.Scope, since time.Time, limit int) ([]calllog.Callback, error)
	CallbackOf(ctx context.Context, scope calllog.Scope, callID string) (calllog.Callback, error)
	CloseCallbackJournaled(ctx context.Context, scope calllog.Scope, ref calllog.CallbackRef, by, note string, at time.Time, j calllog.JournalRow) (calllog.Callback, error)
	ReopenCallbackJournaled(ctx context.Context, scope calllog.Scope, ref calllog.CallbackRef, now time.Time, j calllog.JournalRow) (calllog.Callback, error)
}

// smsDesk is the outbox as the coordinators follow it up.
type smsDesk interface {
	Problems(ctx context.Context, scope notify.Scope, limit int) ([]notify.Problem, error)
	ProblemCount(ctx context.Context, scope notify.Scope) (int, error)
	Backlog(ctx context.Context, territoryID int64) (notify.Backlog, error)
	MarkHandled(ctx context.Context, scope notify.Scope, id int64, by string, at time.Time, j notify.JournalRow) error
}

// billingBook is the acts and their tariffs, as the Exports page and a
// call's page read them.
type billingBook interface {
	WithinTerritories(ids []int64) *billing.Store
	SetTariff(ctx context.Context, ch billing.TariffChange) (billing.TariffSet, error)
}
