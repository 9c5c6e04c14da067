package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/roster"
)

// newUserCmd manages the coordinators' console accounts.
func newUserCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage the coordinators' console accounts",
	}
	cmd.AddCommand(newUserAddCmd(a), newUserListCmd(a), newUserDisableCmd(a), newUserResetTOTPCmd(a))
	return cmd
}

// coordinatorStore opens the account store with the configured TOTP key.
func (a *app) coordinatorStore(cmd *cobra.Command) (*accounts.Store, error) {
	c, err := a.config()
	if err != nil {
		return nil, err
	}
	key, err := c.Console.TOTPKeyBytes()
	if err != nil {
		return nil, fmt.Errorf("console.totp_key: %w", err)
	}
	pool, err := a.db(cmd.Context())
	if err != nil {
		return nil, err
	}
	return accounts.NewStore(pool, accounts.Options{TOTPKey: key, Territories: roster.NewStore(pool)})
}

// cliActor names who ran the command in the audit log.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
}

func newUserAddCmd(a *app) *cobra.Command {
	var territories []string
	var email string
	var admin, passwordStdin bool
	cmd := &cobra.Command{
		Use:   "add --email E (--territory SLUG... | --admin)",
		Short: "Add a coordinator; prints a one-time initial password unless --password-stdin",
		Example: `  regul user add --territory cpts-coteaux --email coordination@cpts-coteaux.example
  echo 'un mot de passe assez long' | regul user add --territory cpts-coteaux --email c@x.example --password-stdin
  regul user add --admin --email admin@regul.example`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if email == "" {
				return errors.New("--email is required")
			}
			if len(territories) == 0 && !admin {
				return errors.New("give --territory SLUG (repeatable) or --admin")
			}
			password, generated := "", false
			if passwordStdin {
				p, err := readPassword(cmd.InOrStdin())
				if err != nil {
					return err
				}
				password = p
			} else {
				p, err := accounts.GeneratePassword()
				if err != nil {
					return err
				}
				password, generated = p, true
			}
			store, err := a.coordinatorStore(cmd)
			if err != nil {
				return err
			}
			acc, err := store.Create(cmd.Context(), cliActor(), accounts.NewAccount{
				Email: email, Password: password, Admin: admin, Territories: territories,
			})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			scope := strings.Join(acc.Territories, ", ")
			if acc.Admin {
				scope = "all territories (admin)"
			}
			fmt.Fprintf(out, "added %s: %s\n", acc.Email, scope)
			if generated {
				fmt.Fprintf(out, "initial password (shown once): %s\n", password)
			}
			fmt.Fprintln(out, "the second factor (TOTP) is enrolled at first login")
			return nil
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "the coordinator's email, used to sign in")
	cmd.Flags().StringSliceVar(&territories, "territory", nil, "territory slug the coordinator sees (repeatable, or comma-separated)")
	cmd.Flags().BoolVar(&admin, "admin", false, "sees every territory")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input instead of generating one")
	return cmd
}

func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	p := strings.TrimRight(line, "\r\n")
	if len(p) < accounts.MinPasswordLength {
		return "", fmt.Errorf("password from standard input: %w", accounts.ErrWeakPassword)
	}
	return p, nil
}

func newUserListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the coordinators, their territories and state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := a.coordinatorStore(cmd)
			if err != nil {
				return err
			}
			list, err := store.List(cmd.Context())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "EMAIL\tTERRITORIES\tTOTP\tSTATE")
			for _, acc := range list {
				scope := strings.Join(acc.Territories, ",")
				if acc.Admin {
					scope = "* (admin)"
				}
				totp := "to enrol"
				if acc.TOTPEnrolled {
					totp = "enrolled"
				}
				state := "active"
				switch {
				case acc.Disabled:
					state = "disabled"
				case !acc.LockedUntil.IsZero() && acc.LockedUntil.After(time.Now()):
					state = "locked until " + acc.LockedUntil.Local().Format("2006-01-02 15:04")
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", acc.Email, scope, totp, state)
			}
			return w.Flush()
		},
	}
}

func newUserDisableCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "disable EMAIL",
		Short:   "Stop a coordinator from signing in and end their sessions",
		Example: "  regul user disable coordination@cpts-coteaux.example",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := a.coordinatorStore(cmd)
			if err != nil {
				return err
			}
			if err := store.Disable(cmd.Context(), cliActor(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "disabled %s\n", args[0])
			return nil
		},
	}
}

func newUserResetTOTPCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "reset-totp EMAIL",
		Short:   "Forget a coordinator's second factor (lost phone): the next login enrols a new one",
		Example: "  regul user reset-totp coordination@cpts-coteaux.example",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := a.coordinatorStore(cmd)
			if err != nil {
				return err
			}
			if err := store.ResetTOTP(cmd.Context(), cliActor(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "second factor of %s reset: enrolled again at next login\n", args[0])
			return nil
		},
	}
}
