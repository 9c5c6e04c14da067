package wiring

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/regul-sante/regul/internal/config"
	"github.com/regul-sante/regul/testkit/pgtest"
)

// With console.tls_cert and console.tls_key the console serves HTTPS
// itself, and its cookies are Secure.
func TestConsoleServesTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Console.Listen, cfg.Console.TLSCert, cfg.Console.TLSKey = "127.0.0.1:0", certFile, keyFile
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	console, err := StartConsole(cfg, pgtest.New(t), zap.NewNop(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { console.Close(context.Background()) })
	if !strings.HasPrefix(console.URL(), "https://") {
		t.Fatalf("console URL %s", console.URL())
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(console.URL() + "connexion")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login page over TLS: %d", resp.StatusCode)
	}
	cookies := resp.Cookies()
	if len(cookies) == 0 {
		t.Fatal("the login page sets no cookie")
	}
	for _, c := range cookies {
		if !c.Secure || !c.HttpOnly {
			t.Errorf("cookie %s: Secure %v, HttpOnly %v", c.Name, c.Secure, c.HttpOnly)
		}
	}

	// Plain HTTP to the TLS port is refused, never served.
	if resp, err := http.Get("http://" + console.Addr() + "/connexion"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP served the login page")
		}
	}

	// A certificate without its key is a configuration error naming the key.
	cfg.Console.TLSKey = ""
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "console.tls_key") {
		t.Errorf("certificate without key: %v", err)
	}
	cfg.Console.TLSKey = filepath.Join(t.TempDir(), "missing.pem")
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "console.tls_cert") || !strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("missing key file: %v", err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// a pool trusting it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "regul test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
