package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/regul-sante/regul/accounts"
	"github.com/regul-sante/regul/calllog"
	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/internal/sounds"
	"github.com/regul-sante/regul/migrations"
	"github.com/regul-sante/regul/roster"
	"github.com/regul-sante/regul/roster/oncall"
	"github.com/regul-sante/regul/testkit/arisim"
	"github.com/regul-sante/regul/testkit/pgcluster"
	"github.com/regul-sante/regul/testkit/sample"
	"github.com/regul-sante/regul/testkit/twiliotest"
	"github.com/regul-sante/regul/wiring"
)

func mustParis() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}

func newDemoCmd(a *app) *cobra.Command {
	var o demoOptions
	var console bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole line on embedded defaults: throwaway PostgreSQL, ARI emulator, scripted calls, then the console",
		Long: `Needs no configuration and no service: starts a throwaway PostgreSQL cluster,
applies the sample territory, directory extract, enrolments and roster from the
data folder, starts the ARI emulator in process, runs the controller against it
through the ARI client exactly as "regul serve" does, places three scripted
calls (a GP put through at once, an escalation to rank 2, nobody reachable), and
prints each call's timeline: who heard what, who pressed what, what was recorded.
It then keeps serving the coordinators' console (on console.listen) with a demo
login until Ctrl-C or SIGTERM, and exits 0. With --calls-only it exits 0 right
after the calls.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			o.level, o.consoleListen = cfg.Log.Level, cfg.Console.Listen
			if !o.callsOnly {
				defer takeTerminal()()
			}
			err = runDemo(cmd.Context(), cmd.OutOrStdout(), o)
			if err != nil && cmd.Context().Err() != nil {
				// Ctrl-C while the calls run is a normal way to stop too.
				fmt.Fprintln(cmd.OutOrStdout(), "\nregul demo: stopped.")
				return nil
			}
			return err
		},
	}
	cmd.Flags().StringVar(&o.data, "data", "testdata", "folder holding territory.yaml, enrolments.csv, roster.csv and the directory extract")
	cmd.Flags().Float64Var(&o.speed, "speed", 20, "how much faster than real time the emulated phones live")
	cmd.Flags().BoolVar(&o.callsOnly, "calls-only", false, "exit 0 right after the calls instead of serving the console (scripts, CI)")
	cmd.Flags().StringVar(&o.at, "at", "", `when the calls take place, "YYYY-MM-DD HH:MM" in the territory's time (default: today, just now if the line is open); the sample roster is moved to that day`)
	// Serving the console became the default; the old flag stays accepted so
	// existing invocations keep working.
	cmd.Flags().BoolVar(&console, "console", false, "no effect: the console is served by default")
	if err := cmd.Flags().MarkDeprecated("console", "the console is now served by default; use --calls-only to exit after the calls"); err != nil {
		panic(err)
	}
	return cmd
}

type demoOptions struct {
	level, data string
	speed       float64
	// consoleListen is where the console is served after the calls
	// (console.listen); empty picks a free loopback port.
	consoleListen string
	callsOnly     bool
	at            string // "" : demoMoment of now
}

// runDemo places the scripted calls and prints their timelines; unless
// callsOnly it then serves the console until ctx ends, which is a normal end.
func runDemo(ctx context.Context, out io.Writer, o demoOptions) (err error) {
	fmt.Fprintln(out, "regul demo: starting a throwaway PostgreSQL cluster…")
	cluster, err := pgcluster.Start(ctx)
	if err != nil {
		return err
	}
	defer cluster.Close()
	pool, err := pgxpool.New(ctx, cluster.URL("postgres"))
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := migrate(ctx, pool); err != nil {
		return err
	}
	start, err := demoStartOf(o)
	if err != nil {
		return err
	}
	sample, err := loadDemoData(ctx, out, roster.NewStore(pool), o.data, start)
	if err != nil {
		return err
	}

	clock := arisim.NewScaledClockAt(start, o.speed)
	defer clock.Close()
	sim := arisim.New(arisim.Options{Username: "regul", Password: "demo", Clock: clock, Logger: zap.NewNop(),
		DefaultSoundDuration: demoSoundDuration,
		// The hold music's real length: the timeline shows it once per loop,
		// not every prompt's length.
		SoundDurations: map[string]time.Duration{"sound:" + sounds.HoldMusicSound: 24 * time.Second}})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return fmt.Errorf("start the ARI emulator: %w", err)
	}
	defer sim.Close()

	var logs demoLog
	defer func() {
		if err != nil {
			logs.print(out)
		}
	}()
	cfg, log, err := demoConfig(o.level, sim.URL(), &logs)
	if err != nil {
		return err
	}
	if o.consoleListen != "" && !o.callsOnly {
		cfg.Console.Listen = o.consoleListen
	}
	// SMS go to an in-process stand-in for Twilio (through the real
	// twilio-go client): the outbox empties as in production, and the
	// console shows no « SMS désactivé ».
	fakeSMS := twiliotest.New()
	defer fakeSMS.Close()
	cfg.Twilio = config.Twilio{AccountSID: twiliotest.AccountSID, AuthToken: twiliotest.AuthToken,
		From: twiliotest.From, APIURL: fakeSMS.URL(), Timeout: 5 * time.Second}
	defer os.RemoveAll(cfg.DataDir)
	svc, err := wiring.Start(ctx, wiring.Options{Config: cfg, Pool: pool, Logger: log, Clock: clock.ForScripts()})
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- svc.Run(runCtx) }()
	defer func() {
		stop()
		<-ran
		closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = svc.Close(closeCtx)
	}()
	fmt.Fprintf(out, "controller connected to the emulator at %s; the line's clock reads %s (×%g)\n\n",
		sim.URL(), start.Format("Monday 2 January 2006 15:04"), o.speed)

	tl, err := newTimeline(sample)
	if err != nil {
		return err
	}
	for _, sc := range demoScenarios(sample) {
		fmt.Fprintf(out, "── %s ──\n", sc.title)
		rep := sim.Play(sc.scenario)
		waitCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		err := sim.Wait(waitCtx)
		if err == nil {
			err = svc.WaitIdle(waitCtx)
		}
		if err == nil {
			err = svc.Recorder().WaitDrained(waitCtx)
		}
		cancel()
		if err != nil {
			return fmt.Errorf("%s: %w", sc.title, err)
		}
		tl.print(out, rep)
		if err := printRecord(ctx, out, svc); err != nil {
			return err
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintln(out, "demo finished: every call above went through the ARI client, the emulator and PostgreSQL.")
	logs.print(out)
	if o.callsOnly {
		return nil
	}
	return serveDemoConsole(ctx, out, pool, svc.ConsoleURL(), sample.territory.Slug)
}

// Demo coordinator: a password long enough for the console's rules; the
// second factor is enrolled at first login, as for any coordinator.
const demoEmail, demoPassword = "demo@regul.example", "demo-regul-2026"

func serveDemoConsole(ctx context.Context, out io.Writer, pool *pgxpool.Pool, url, territory string) error {
	store, err := accounts.NewStore(pool, accounts.Options{Territories: roster.NewStore(pool)})
	if err != nil {
		return err
	}
	if _, err := store.Create(ctx, "demo", accounts.NewAccount{Email: demoEmail, Password: demoPassword, Territories: []string{territory}}); err != nil {
		return fmt.Errorf("demo login: %w", err)
	}
	fmt.Fprintf(out, "\ncoordinators' console: %s\n  login %s, password %s\n  (scan the QR code it shows with any authenticator app at first login)\nCtrl-C stops the demo.\n",
		url, demoEmail, demoPassword)
	<-ctx.Done()
	return nil
}

func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	_, err = migrations.Apply(ctx, conn.Conn())
	return err
}

// demoSample is the sample line the demo loaded.
type demoSample struct {
	territory oncall.Territory
	pins      map[string]string
	names     map[string]string // RPPS → "Dr Marie DUBOIS"
}

func loadDemoData(ctx context.Context, out io.Writer, store *roster.Store, data string, start time.Time) (*demoSample, error) {
	ctx = roster.WithActor(ctx, "demo")
	loaded, err := sample.Load(ctx, store, data, sample.Options{Directory: true,
		MoveRoster: &sample.RosterMove{From: demoSampleDay, To: start}})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "directory: %d médecins, %d GPs enrolled; territory %s applied, %d enrolments, %d shifts\n",
		loaded.Directory.Medecins, loaded.Directory.GPsEnrolled, loaded.Territory.Slug, loaded.Enrolments, loaded.Shifts)
	s := &demoSample{territory: loaded.Territory, pins: map[string]string{}, names: map[string]string{}}
	enrolled, err := store.Enrolments(ctx, loaded.Territory.ID)
	if err != nil {
		return nil, err
	}
	for _, e := range enrolled {
		s.names[e.RPPS] = "Dr " + e.FirstName + " " + e.LastName
	}
	for _, rpps := range []string{demoGP, demoGP2} {
		if s.pins[rpps], err = store.SetNewPIN(ctx, loaded.Territory.ID, rpps); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func printRecord(ctx context.Context, out io.Writer, svc *wiring.Service) error {
	rec, err := svc.Calls().LatestCall(ctx)
	if errors.Is(err, calllog.ErrNotFound) {
		fmt.Fprintln(out, "  (no call recorded)")
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  recorded: result %s", rec.Result)
	for _, at := range rec.Attempts {
		fmt.Fprintf(out, "; attempt %d (rank %d, %s) %s", at.Attempt, at.Rank, at.RPPS, at.Result)
	}
	if rec.Outcome != nil {
		fmt.Fprintf(out, "; outcome %s", rec.Outcome.Status)
		if rec.Outcome.Outcome != "" {
			fmt.Fprintf(out, " %s", rec.Outcome.Outcome)
		}
		if rec.Outcome.DelayHours > 0 {
			fmt.Fprintf(out, " within %d h", rec.Outcome.DelayHours)
		}
	}
	if rec.Callback != nil {
		fmt.Fprint(out, "; callback request open")
	}
	if rec.TimeToSpecialist > 0 {
		fmt.Fprintf(out, "; time to specialist %s", rec.TimeToSpecialist.Round(time.Second))
	}
	fmt.Fprintln(out)
	return nil
}
