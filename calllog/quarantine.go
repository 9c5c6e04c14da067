package calllog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"go.uber.org/zap"
)

// A spool line that cannot be read back (torn by a crash mid-write, or
// damaged on disk) is never silently skipped: it is appended, with where it
// was and why it failed, to the quarantine file, fsynced, before the
// checkpoint moves past it. The call's other events are applied as usual;
// the call, left open without its end, is closed by the next start like
// any call a dead controller left. The file stays until an operator has
// looked at it and moved it away: until then /readyz and the console name it.

// quarantined is one line of the quarantine file.
type quarantined struct {
	At      time.Time `json:"at"`
	Segment string    `json:"segment"`
	End     int64     `json:"end_offset"`
	Reason  string    `json:"reason"`
	CallID  string    `json:"call_id,omitempty"` // when it can still be read in the damaged line
	Line    []byte    `json:"line"`              // the line as read (base64)
}

var callIDInLine = regexp.MustCompile(`"call_id":"([0-9a-fA-F-]{36})"`)

// quarantine sets the batch's unreadable lines aside, durably.
func (r *Recorder) quarantine(batch []spooled) error {
	var buf bytes.Buffer
	n := 0
	for _, s := range batch {
		if s.bad == nil {
			continue
		}
		q := quarantined{At: r.opts.Clock.Now(), Segment: segmentName(s.end.Segment), End: s.end.Offset, Reason: s.bad.Error(), Line: s.raw}
		if m := callIDInLine.FindSubmatch(s.raw); m != nil {
			q.CallID = string(m[1])
		}
		line, err := json.Marshal(q)
		if err != nil {
			return err
		}
		buf.Write(append(line, '\n'))
		n++
		r.log.Error("unreadable spool line moved to the quarantine file (torn by a crash or corrupted)",
			zap.String("file", r.opts.QuarantineFile), zap.String("segment", q.Segment), zap.Int64("end_offset", q.End),
			zap.String("call_id", q.CallID), zap.NamedError("reason", s.bad))
	}
	if n == 0 {
		return nil
	}
	f, err := os.OpenFile(r.opts.QuarantineFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open quarantine file: %w", err)
	}
	_, err = f.Write(buf.Bytes())
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write quarantine file %s: %w", r.opts.QuarantineFile, err)
	}
	r.update(func(st *Stats) { st.Corrupt += uint64(n) })
	return nil
}

// Quarantine says how many unreadable spool lines the quarantine file holds
// and where it is; 0 when there is none (or an operator moved it away).
func (r *Recorder) Quarantine() (lines int, file string, err error) {
	file = r.opts.QuarantineFile
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return 0, file, nil
	}
	if err != nil {
		return 0, file, fmt.Errorf("read quarantine file: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 32<<10)
	for {
		k, err := f.Read(buf)
		lines += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return lines, file, nil
		}
		if err != nil {
			return lines, file, fmt.Errorf("read quarantine file: %w", err)
		}
	}
}
