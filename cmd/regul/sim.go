package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/regul-sante/regul/testkit/arisim"
)

func newSimCmd(a *app) *cobra.Command {
	var listen, scenario string
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the ARI emulator standalone, with scripted phones",
		Long: `Serves Asterisk's ARI (REST under /ari, events WebSocket at /ari/events)
on the given address, user "ari", password "ari", so the controller or any ARI
client can be pointed at it by URL. With --scenario, scripted callers are placed
and outbound dial strings answer as the YAML file says; without it no call comes
in and every dial string is unreachable.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := a.logger()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "ARI emulator on http://%s/ari (user ari, password ari); Ctrl-C stops it\n", listen)
			return arisim.RunStandalone(cmd.Context(), listen, scenario, log)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8088", "address to serve ARI on")
	cmd.Flags().StringVar(&scenario, "scenario", "", "YAML scenario of scripted phones (see testdata/scenarios/)")
	return cmd
}
