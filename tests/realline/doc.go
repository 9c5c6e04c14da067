// Package realline runs the regulation line on a real Asterisk: the
// project's own configuration on one private instance, a second one as the
// SIP operator playing the phones, and the controller connected over ARI as
// `regul serve` runs. Its tests skip (one line) without an Asterisk, and fail
// under CI=true; see README's Tests section.
package realline
