// Package roster owns a territory's set-up and its planning de garde: the
// territories and their regulation numbers, specialties, practitioners from
// the Annuaire Santé, enrolments (who may call, who answers), shifts and
// overrides, and the resolution of who is on duty at an instant.
//
// It knows nothing of telephony or HTTP. Times are stored as timestamptz and
// entered and shown in the territory's own time zone. The values it hands
// out — territories, enrolments, escalation chains, RPPS numbers, the
// errors callers tell apart — are package oncall's, which the call script
// reads without depending on the storage.
package roster
