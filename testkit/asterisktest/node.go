package asterisktest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/regul-sante/regul/internal/config"
)

// Helpers for several line nodes behind a SIP proxy (the cluster test):
// each line and the operator have their trunk at the proxy's port instead
// of at each other's.

// Node is one line Asterisk started on its own, its trunk at a peer.
type Node struct {
	*Instance
	// ARI is regul's configuration for this node (URL filled in).
	ARI config.ARI
	// SIPPort is where the node's SIP transport listens (and sends from).
	SIPPort int
	// Monitor watches every channel of the node.
	Monitor *Events
}

// NodeOptions shape a line node.
type NodeOptions struct {
	Name    string     // names its folder and log lines
	ARI     config.ARI // regul's ari.*: username, password, application
	Prompts string     // as PairOptions.Prompts
	MOH     map[string][]byte
	// PeerSIP is where the trunk's contact points (the proxy's UDP port on
	// 127.0.0.1); requests from 127.0.0.1 are the trunk's.
	PeerSIP int
}

// StartNode starts a line Asterisk with the project's configuration and
// connects its monitor.
func StartNode(t testing.TB, in *Install, o NodeOptions) *Node {
	t.Helper()
	httpPort, sipPort := FreePort(t), FreePort(t)
	n := &Node{ARI: o.ARI, SIPPort: sipPort}
	n.ARI.URL, n.ARI.WebsocketURL = fmt.Sprintf("http://127.0.0.1:%d/ari", httpPort), ""
	files, err := LineFiles(n.ARI, sipPort, o.PeerSIP)
	if err != nil {
		t.Fatal(err)
	}
	n.Instance = Start(t, in, Config{Name: o.Name, Files: files, HTTPPort: httpPort, ARIUser: MonitorUser, ARIPass: testPass,
		Sounds: map[string]string{"fr/regul": o.Prompts + "/fr/regul"}, MOH: o.MOH})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if n.Monitor, err = n.Instance.ARI(MonitorUser, testPass).Listen(ctx, "monitor", true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Monitor.Close)
	return n
}

// StartOperator starts the SIP operator alone, its trunk ("line") at
// 127.0.0.1:peerSIP, and connects its phones application.
func StartOperator(t testing.TB, in *Install, peerSIP int) (*Instance, *Operator, int) {
	t.Helper()
	httpPort, sipPort := FreePort(t), FreePort(t)
	i := Start(t, in, Config{Name: "operator", Files: operatorFiles(httpPort, sipPort, peerSIP),
		HTTPPort: httpPort, ARIUser: PhonesUser, ARIPass: testPass})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a := i.ARI(PhonesUser, testPass)
	ev, err := a.Listen(ctx, PhonesUser, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ev.Close)
	return i, &Operator{ARI: a, Events: ev, Dir: i.Dir}, sipPort
}

// Kill stops the instance as a machine failure would (SIGKILL): no BYE is
// sent, nothing is cleaned up; its peers learn it from silence.
func (i *Instance) Kill() {
	i.mu.Lock()
	cmd, exit := i.cmd, i.exit
	i.cmd = nil
	i.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exit
}
