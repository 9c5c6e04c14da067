package calllog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/regul-sante/regul/calllog/callevent"
)

// spooled is an event read back from the spool, or a line that could not be
// (bad is set), with the position just after it.
type spooled struct {
	ev  callevent.Event
	bad error
	raw []byte // the line as read, when bad
	end position
}

// readFrom reads up to max lines from pos. durable is the end of what the
// writer has fsynced: segments before durable.Segment are complete, and in
// durable.Segment nothing past durable.Offset is read. It returns the lines
// and the position after the last one (which may have moved to a later
// segment even when no line was read). The lines are appended to out[:0]
// and read through br (reset here), both reused from batch to batch by the
// applier: a 64 KiB buffer per batch was a third of the controller's
// allocations.
func readFrom(dir string, pos, durable position, max int, out []spooled, br *bufio.Reader) ([]spooled, position, error) {
	out = out[:0]
	for len(out) < max && pos.before(durable) {
		complete := pos.Segment < durable.Segment
		limit := durable.Offset
		if complete {
			limit = -1
		}
		got, next, err := readSegment(dir, pos, limit, max-len(out), out, br)
		if err != nil {
			return got, pos, err
		}
		out = got
		pos = next
		if !complete || len(out) >= max {
			break
		}
		// A complete segment read to its end: go on with the next one.
		segs, err := listSegments(dir)
		if err != nil {
			return out, pos, err
		}
		nextSeg := durable.Segment
		for _, s := range segs {
			if s > pos.Segment {
				nextSeg = s
				break
			}
		}
		pos = position{Segment: nextSeg}
	}
	return out, pos, nil
}

// readSegment reads lines of one segment from pos.Offset, up to limit bytes
// (-1: the whole file, which is complete: a last line without '\n' is torn),
// appending them to out.
func readSegment(dir string, pos position, limit int64, max int, out []spooled, br *bufio.Reader) ([]spooled, position, error) {
	f, err := os.Open(filepath.Join(dir, segmentName(pos.Segment)))
	if errors.Is(err, os.ErrNotExist) && limit < 0 {
		return out, pos, nil // already removed: nothing left in it
	}
	if err != nil {
		return out, pos, fmt.Errorf("open spool segment: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(pos.Offset, io.SeekStart); err != nil {
		return out, pos, fmt.Errorf("seek spool segment: %w", err)
	}
	var r io.Reader = f
	if limit >= 0 {
		r = io.LimitReader(f, limit-pos.Offset)
	}
	br.Reset(r)
	defer br.Reset(nil) // the file is closed on return
	for n := 0; n < max; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer (never written by Record):
			// read the rest of it the slow way.
			rest, rerr := br.ReadBytes('\n')
			line, err = append(append([]byte(nil), line...), rest...), rerr
		}
		if len(line) > 0 && line[len(line)-1] == '\n' {
			pos.Offset += int64(len(line))
			body := bytes.TrimSuffix(line, []byte{'\n'})
			ev, derr := decodeLine(body)
			sp := spooled{ev: ev, bad: derr, end: pos}
			if derr != nil {
				sp.raw = append([]byte(nil), body...)
			}
			out = append(out, sp)
			continue
		}
		if len(line) > 0 { // only possible in a complete segment: a crash mid-write
			pos.Offset += int64(len(line))
			out = append(out, spooled{bad: errors.New("torn last line (no end of line)"), raw: append([]byte(nil), line...), end: pos})
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, pos, fmt.Errorf("read spool segment: %w", err)
		}
	}
	return out, pos, nil
}

// countFrom counts the lines (a torn last one included) from pos to the end
// of the segments present, without keeping them: the backlog at start.
func countFrom(dir string, pos position) (int64, error) {
	segs, err := listSegments(dir)
	if err != nil {
		return 0, err
	}
	var n int64
	buf := make([]byte, 64<<10)
	for _, s := range segs {
		if s < pos.Segment {
			continue
		}
		f, err := os.Open(filepath.Join(dir, segmentName(s)))
		if err != nil {
			return 0, fmt.Errorf("open spool segment: %w", err)
		}
		if s == pos.Segment {
			if _, err := f.Seek(pos.Offset, io.SeekStart); err != nil {
				f.Close()
				return 0, fmt.Errorf("seek spool segment: %w", err)
			}
		}
		last := byte('\n')
		for {
			k, err := f.Read(buf)
			n += int64(bytes.Count(buf[:k], []byte{'\n'}))
			if k > 0 {
				last = buf[k-1]
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				return 0, fmt.Errorf("read spool segment: %w", err)
			}
		}
		f.Close()
		if last != '\n' {
			n++ // a torn last line, skipped (and counted) by the applier
		}
	}
	return n, nil
}
