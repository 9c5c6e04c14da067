package ivr

import "sync"

// inProgress is the set of calls this script drives now, from their first
// event to their last: the one count of calls in progress (the metrics read
// it through CallsInProgress) and the calls CloseLeftOpen must leave alone.
type inProgress struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

func (p *inProgress) add(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ids == nil {
		p.ids = map[string]struct{}{}
	}
	p.ids[id] = struct{}{}
}

func (p *inProgress) remove(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.ids, id)
}

func (p *inProgress) has(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.ids[id]
	return ok
}

// CallsInProgress is how many calls the script drives now: inbound calls,
// calls adopted from another controller and callbacks through the line.
func (s *Script) CallsInProgress() int {
	s.running.mu.Lock()
	defer s.running.mu.Unlock()
	return len(s.running.ids)
}
