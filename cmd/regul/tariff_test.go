package main

import (
	"strings"
	"testing"
)

func TestTariffCommands(t *testing.T) {
	testDatabase(t)
	out := squeeze(mustRun(t, "tariff", "list"))
	wantContains(t, out, "CODE ROLE AMOUNT € FROM TO LABEL NOTE",
		"TE2 requis 20,00 2000-01-01 2025-12-31", "TE2 requis 23,00 2026-01-01 -", "TC requis 0,00 (to enter) 2000-01-01 -")

	out = mustRun(t, "tariff", "set", "--code", "TC", "--amount", "25,00 €", "--from", "2026-03-01", "--note", "secteur 1")
	wantContains(t, out, "TC requis: 25,00 € from 2026-03-01", "previous version (0,00 €) now ends on 2026-02-28")
	out = mustRun(t, "tariff", "set", "--code", "TC", "--role", "requis", "--amount", "25", "--from", "2026-03-01")
	wantContains(t, out, "TC requis: already 25,00 € on 2026-03-01, unchanged")
	out = mustRun(t, "tariff", "list")
	tc := squeeze(out)
	wantContains(t, tc, "TC requis 0,00 2000-01-01 2026-02-28 Téléconsultation vidéo (montant à compléter)",
		"TC requis 25,00 2026-03-01 - Téléconsultation vidéo secteur 1")
	if strings.Contains(out, "(to enter)") {
		t.Errorf("TC still to enter:\n%s", out)
	}

	for args, want := range map[string]string{
		"--amount 25 --from 2026-03-01":                            "--code is required",
		"--code TC --from 2026-03-01":                              "--amount is required",
		"--code TC --amount abc --from 2026-03-01":                 "--amount: montant « abc » invalide",
		"--code TC --amount 25":                                    "--from is required",
		"--code TC --amount 25 --from 01/03/2026":                  `--from "01/03/2026": want YYYY-MM-DD`,
		"--code TC --role patient --amount 25 --from 2026-03-01":   `--role "patient": want requis or requerant`,
		"--code XYZ --amount 25 --from 2026-03-01":                 "--code XYZ: unknown act",
		"--code TE2 --role requerant --amount 1 --from 2026-03-01": "--code/--role: acte inconnu : TE2 (requérant)",
		"--code TE2 --amount 21 --from 2025-06-01":                 "--from: une version du tarif TE2 commence déjà le 01/01/2026",
	} {
		_, err := runCLI(t, append([]string{"tariff", "set"}, strings.Fields(args)...)...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", args, err, want)
		}
	}
}
