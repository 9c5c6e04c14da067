// Package asteriskconfig holds the Asterisk configuration regul ships:
// `regul asterisk config` renders it into a directory for /etc/asterisk.
package asteriskconfig

import "embed"

// Files are the configuration files: ari.conf and http.conf are text/template
// sources rendered from regul's configuration; the others are copied.
//
//go:embed *.conf
var Files embed.FS

// PromptCatalogue is prompts.yaml: every prompt the call script plays, with
// its sound name and the French text to record or synthesise.
//
//go:embed prompts.yaml
var PromptCatalogue []byte
