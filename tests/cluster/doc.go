// Package cluster holds the loopback cluster test: the deployment of
// docs/deployment.md started whole on one machine (Kamailio in front of two
// line Asterisk nodes, the SIP operator, two controllers per node, a
// PostgreSQL primary and its streaming replica), then a controller, a node
// and the database primary lost in turn. Test code only.
package cluster
