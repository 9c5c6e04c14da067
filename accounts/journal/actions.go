package journal

// The journal's vocabulary: every action a row may name, written once. The
// console labels each in French (console/audit_fr.go).
const (
	// Accounts and sessions.
	ActionLogin         = "login"
	ActionLoginFailed   = "login.failed"
	ActionLogout        = "logout"
	ActionTOTPEnrolled  = "totp.enrolled"
	ActionCoordAdded    = "coordinator.added"
	ActionCoordDisabled = "coordinator.disabled"
	ActionTOTPReset     = "coordinator.totp_reset"

	// Territories and the directory.
	ActionTerritoryApply  = "territory.apply"
	ActionDirectoryImport = "directory.import"

	// Enrolments, PINs and identification locks.
	ActionEnrolmentCreated  = "enrolment.created"
	ActionEnrolmentUpdated  = "enrolment.updated"
	ActionEnrolmentPIN      = "enrolment.pin"
	ActionEnrolmentRemoved  = "enrolment.removed"
	ActionEnrolmentUnlocked = "enrolment.unlocked"
	ActionIdentLocked       = "identification.locked"
	ActionIdentCallerLocked = "identification.caller_locked"
	ActionIdentNumberLocked = "identification.number_locked"

	// Planning.
	ActionShiftAdded      = "shift.added"
	ActionShiftUpdated    = "shift.updated"
	ActionShiftDeleted    = "shift.deleted"
	ActionShiftImport     = "shift.import"
	ActionOverrideAdded   = "override.added"
	ActionOverrideDeleted = "override.deleted"
	ActionFeedIssued      = "calendar.issued"
	ActionFeedRevoked     = "calendar.revoked"

	// Callbacks and SMS followed up by the coordination.
	ActionCallbackDone     = "callback.done"
	ActionCallbackReopened = "callback.reopened"
	ActionSMSHandled       = "sms.handled"

	// Exports and tariffs.
	ActionExportBilling = "export.billing"
	ActionExportARS     = "export.ars"
	ActionCallsExported = "calls.exported"
	ActionTariffSet     = "tariff.set"
)
