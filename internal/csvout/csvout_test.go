package csvout

import (
	"strings"
	"testing"
)

func TestWriterNeutralisesText(t *testing.T) {
	var b strings.Builder
	w, err := New(&b)
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Header("nom", "montant")
	for _, s := range []string{"=1+1", "+33 6", "-5", "@A1", "\tx", "\rx", "DUBOIS"} {
		if err := w.Write(Text(s), Number("-5,00")); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "\ufeffnom;montant\r\n'=1+1;-5,00\r\n'+33 6;-5,00\r\n'-5;-5,00\r\n'@A1;-5,00\r\n'\tx;-5,00\r\n\"'x\";-5,00\r\nDUBOIS;-5,00\r\n"
	// encoding/csv drops a lone carriage return inside a quoted field when
	// writing CRLF lines: the cell stays text either way.
	if b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}
