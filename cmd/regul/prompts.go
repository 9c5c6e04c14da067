package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/regul-sante/regul/internal/sounds"
	"github.com/regul-sante/regul/roster"
)

// defaultCatalogues are the repository's catalogues: the call script's
// prompts and the dialplan's own fallback message.
var defaultCatalogues = []string{"asterisk-config/prompts.yaml", "asterisk-config/dialplan-prompts.yaml"}

func newPromptsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "prompts",
		Short: "The French voice prompts Asterisk plays",
	}
	var out string
	var catalogues []string
	build := &cobra.Command{
		Use:   "build",
		Short: "Synthesise the prompt catalogue (and, with a database, the roster's names) into 8 kHz WAV files",
		Long: `Renders every prompt of the catalogues with espeak-ng (French voice) into
<out>/fr/<sound>.wav, 8 kHz mono 16-bit, the layout of Asterisk's sounds
directory. When database.url is set, also renders territory names
(regul/territoires/<slug>), specialty labels
(regul/specialites/<territory>/<specialty>) and enrolled practitioners' names
(regul/noms/<rpps>).

A file whose text has not changed is left alone; a file this command did not
write (a studio recording of the same name) is never overwritten.`,
		Example: `  regul prompts build --out asterisk-config/sounds
  regul prompts build --out /usr/share/asterisk/sounds --catalogue asterisk-config/prompts.yaml
  REGUL_DATABASE_URL=postgres://regul@/regul regul prompts build --out asterisk-config/sounds`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out: give the sounds directory to write into (e.g. asterisk-config/sounds)")
			}
			var items []sounds.Item
			files := catalogues
			if !cmd.Flags().Changed("catalogue") {
				files = existing(defaultCatalogues)
				if len(files) == 0 {
					return fmt.Errorf("no prompt catalogue: none of %s exists here (run from the repository, or give --catalogue)",
						strings.Join(defaultCatalogues, ", "))
				}
			}
			for _, f := range files {
				got, err := sounds.LoadCatalogue(f)
				if err != nil {
					return err
				}
				items = append(items, got...)
			}
			c, err := a.config()
			if err != nil {
				return err
			}
			if c.Database.URL != "" {
				pool, err := a.db(cmd.Context())
				if err != nil {
					return err
				}
				names, skipped, err := sounds.RosterItems(cmd.Context(), roster.NewStore(pool))
				if err != nil {
					return err
				}
				for _, s := range skipped {
					fmt.Fprintf(cmd.ErrOrStderr(), "skipped %s: its slug cannot be a sound name (lower case, digits, - and _ only)\n", s)
				}
				items = append(items, names...)
			}
			synth, err := sounds.Espeak()
			if err != nil {
				return err
			}
			items = append(items, sounds.HoldMusicItem())
			b := &sounds.Builder{Out: out, Synth: synth, Version: sounds.EspeakVersion}
			rep, err := b.Build(cmd.Context(), items)
			fmt.Fprintf(cmd.OutOrStdout(), "%d generated, %d up to date, %d studio recordings kept, in %s\n",
				len(rep.Generated), len(rep.UpToDate), len(rep.Studio), out)
			for _, s := range rep.Studio {
				fmt.Fprintf(cmd.OutOrStdout(), "  kept studio recording %s\n", s)
			}
			return err
		},
	}
	build.Flags().StringVar(&out, "out", "", "sounds directory: files go to <out>/fr/<sound>.wav")
	build.Flags().StringArrayVar(&catalogues, "catalogue", nil,
		"prompt catalogue (YAML, repeatable; default: "+strings.Join(defaultCatalogues, " and ")+" when present)")
	cmd.AddCommand(build)
	return cmd
}

func existing(paths []string) []string {
	var out []string
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}
