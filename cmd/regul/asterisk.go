package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	asteriskconfig "github.com/regul-sante/regul/asterisk-config"
	"github.com/regul-sante/regul/internal/config"
)

func newAsteriskCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "asterisk",
		Short: "Asterisk set-up helpers",
	}
	var out string
	var force bool
	render := &cobra.Command{
		Use:   "config",
		Short: "Write the Asterisk configuration (ari.conf and http.conf from regul's ari.* keys) into a directory",
		Long: `Writes ari.conf, http.conf, extensions.conf, pjsip.conf and musiconhold.conf
into --out. ari.conf and http.conf are rendered from regul's configuration
(ari.username, ari.password, ari.url), so that the ARI secret is kept in one
place; extensions.conf uses ari.application. pjsip.conf is a trunk template
whose CHANGE-ME fields you fill in. Existing files are kept unless --force.`,
		Example: `  REGUL_ARI_PASSWORD=s3cret regul asterisk config --out /etc/asterisk --force`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out: give the directory to write into (e.g. /etc/asterisk)")
			}
			c, err := a.config()
			if err != nil {
				return err
			}
			files, err := renderAsteriskConfig(c.ARI)
			if err != nil {
				return err
			}
			written, err := writeAsteriskConfig(out, files, force)
			if err != nil {
				return err
			}
			for _, w := range written {
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", w)
			}
			if n := len(files) - len(written); n > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "kept %d existing file(s) (use --force to overwrite)\n", n)
			}
			return nil
		},
	}
	render.Flags().StringVar(&out, "out", "", "directory to write the configuration into (created if missing)")
	render.Flags().BoolVar(&force, "force", false, "overwrite files that already exist")
	cmd.AddCommand(render)
	return cmd
}

// asteriskFile is one rendered file; secret files are written 0640.
type asteriskFile = asteriskconfig.File

// renderAsteriskConfig renders the embedded files for the given ARI settings.
func renderAsteriskConfig(c config.ARI) ([]asteriskFile, error) { return asteriskconfig.Render(c) }

// writeAsteriskConfig writes the files into dir, each atomically; files
// already there are kept unless force.
func writeAsteriskConfig(dir string, files []asteriskFile, force bool) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	var written []string
	for _, f := range files {
		dst := filepath.Join(dir, f.Name)
		if _, err := os.Stat(dst); err == nil && !force {
			continue
		}
		mode := os.FileMode(0o644)
		if f.Secret {
			mode = 0o640
		}
		tmp, err := os.CreateTemp(dir, "."+f.Name+".*")
		if err != nil {
			return written, fmt.Errorf("write %s: %w", dst, err)
		}
		_, err = tmp.Write(f.Data)
		if err == nil {
			err = tmp.Chmod(mode)
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), dst)
		}
		if err != nil {
			os.Remove(tmp.Name())
			return written, fmt.Errorf("write %s: %w", dst, err)
		}
		written = append(written, dst)
	}
	return written, nil
}
