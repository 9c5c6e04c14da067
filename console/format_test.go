package console

import (
	"testing"
	"time"
)

func TestFrenchFormats(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	// 13:05 UTC is 14:05 in Paris in winter, 15:05 in summer.
	winter := time.Date(2026, 3, 2, 13, 5, 0, 0, time.UTC)
	summer := time.Date(2026, 7, 1, 13, 5, 0, 0, time.UTC)
	for got, want := range map[string]string{
		frDateTime(winter, paris):                         "02/03/2026 14:05",
		frDateTime(summer, paris):                         "01/07/2026 15:05",
		frLongDate(winter, paris):                         "lundi 2 mars 2026",
		frLongDate(summer, paris):                         "mercredi 1er juillet 2026",
		frUntil(winter, winter.Add(-time.Hour), paris):    "14:05",
		frUntil(winter, winter.Add(-24*time.Hour), paris): "02/03/2026 14:05",
		frPhone("+33612000015"):                           "06 12 00 00 15",
		frPhone("+4930123456"):                            "+4930123456",
		frCount(1, "généraliste", "généralistes"):         "1 généraliste",
		frCount(3, "généraliste", "généralistes"):         "3 généralistes",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
