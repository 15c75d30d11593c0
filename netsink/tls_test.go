package netsink_test

import (
	"bytes"
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
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamsink/streamsink/logsink"
	"github.com/streamsink/streamsink/netsink"
)

// keyPair is a self-signed certificate for 127.0.0.1 and localhost, with
// its PEM files in a temp dir.
type keyPair struct {
	cert              tls.Certificate
	pool              *x509.CertPool
	certFile, keyFile string
}

func newKeyPair(t *testing.T, name string, usage x509.ExtKeyUsage) keyPair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err, "key")
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{usage},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err, "certificate")
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err, "marshal key")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	kp := keyPair{pool: x509.NewCertPool()}
	kp.cert, err = tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err, "key pair")
	require.True(t, kp.pool.AppendCertsFromPEM(certPEM), "pool")
	dir := t.TempDir()
	kp.certFile, kp.keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	require.NoError(t, os.WriteFile(kp.certFile, certPEM, 0o600), "write cert")
	require.NoError(t, os.WriteFile(kp.keyFile, keyPEM, 0o600), "write key")
	return kp
}

func TestTLS(t *testing.T) {
	server := newKeyPair(t, "collector", x509.ExtKeyUsageServerAuth)
	client := newKeyPair(t, "client", x509.ExtKeyUsageClientAuth)
	tests := []struct {
		desc   string
		server *tls.Config
		give   func(addr string) netsink.Config
	}{
		{
			desc:   "ca_file",
			server: &tls.Config{Certificates: []tls.Certificate{server.cert}},
			give: func(addr string) netsink.Config {
				return netsink.Config{Address: addr, TLS: true, CAFile: server.certFile}
			},
		},
		{
			desc:   "server_name",
			server: &tls.Config{Certificates: []tls.Certificate{server.cert}},
			give: func(addr string) netsink.Config {
				return netsink.Config{Address: addr, TLS: true, CAFile: server.certFile, ServerName: "localhost"}
			},
		},
		{
			desc: "client certificate",
			server: &tls.Config{
				Certificates: []tls.Certificate{server.cert},
				ClientAuth:   tls.RequireAndVerifyClientCert,
				ClientCAs:    client.pool,
			},
			give: func(addr string) netsink.Config {
				return netsink.Config{Address: addr, TLS: true, CAFile: server.certFile,
					CertFile: client.certFile, KeyFile: client.keyFile}
			},
		},
		{
			desc:   "TLSConfig",
			server: &tls.Config{Certificates: []tls.Certificate{server.cert}},
			give: func(addr string) netsink.Config {
				return netsink.Config{Address: addr, TLSConfig: &tls.Config{RootCAs: server.pool, MinVersion: tls.VersionTLS13}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			col := newCollector(t, "tcp", withTLS(tt.server))
			cfg := tt.give(col.addr())
			cfg.Framing = netsink.Octet
			conn, err := netsink.NewConn(cfg)
			require.NoError(t, err, "NewConn")
			errs := newErrorLog()
			s := logsink.New(conn, append(cfg.Options(), logsink.OnError(errs.add))...)
			for i := range 500 {
				_, err := s.Write(entry(i))
				require.NoError(t, err, "Write")
			}
			require.NoError(t, s.Close(), "Close")
			col.waitEOF(1)
			assertSeq(t, 0, 500, numbers(t, octetFrames(t, col.all())), "every entry over TLS")
			assert.Empty(t, errs.all(), "no errors")
		})
	}
}

func TestTLSUntrusted(t *testing.T) {
	server := newKeyPair(t, "collector", x509.ExtKeyUsageServerAuth)
	other := newKeyPair(t, "other", x509.ExtKeyUsageServerAuth)
	col := newCollector(t, "tcp", withTLS(&tls.Config{Certificates: []tls.Certificate{server.cert}}))
	conn, err := netsink.NewConn(netsink.Config{Address: col.addr(), TLS: true, CAFile: other.certFile})
	require.NoError(t, err, "NewConn")
	errs := newErrorLog()
	s := logsink.New(conn, logsink.OnError(errs.add), logsink.WithCloseTimeout(10*time.Millisecond))
	_, err = s.Write(entry(0))
	require.NoError(t, err, "Write")
	assert.Error(t, s.Flush(), "the handshake fails")
	var ce *netsink.ConnError
	require.ErrorAs(t, errs.next(t), &ce, "OnError reports a ConnError")
	assert.Equal(t, "dial", ce.Op, "a dial failure")
	var unknown x509.UnknownAuthorityError
	assert.ErrorAs(t, ce.Err, &unknown, "the certificate is not trusted: %v", ce.Err)
	assert.ErrorContains(t, s.Close(), "bytes not written", "Close gives up")
	assert.Positive(t, conn.Stats().DialErrors, "counted")
	assert.Zero(t, conn.Stats().Connects, "never connected")
}

// Without ServerName, the name checked is the address's host.
func TestTLSServerNameFromAddress(t *testing.T) {
	server := newKeyPair(t, "collector", x509.ExtKeyUsageServerAuth)
	col := newCollector(t, "tcp", withTLS(&tls.Config{Certificates: []tls.Certificate{server.cert}}))
	_, port, err := net.SplitHostPort(col.addr())
	require.NoError(t, err, "port")
	conn, err := netsink.NewConn(netsink.Config{Address: net.JoinHostPort("localhost", port), TLS: true, CAFile: server.certFile,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, col.addr()) // localhost may be ::1 first
		}})
	require.NoError(t, err, "NewConn")
	n, err := conn.Write(entry(0))
	require.NoError(t, err, "the certificate holds localhost")
	assert.Equal(t, len(entry(0)), n, "written")
	require.NoError(t, conn.Close(), "Close")
}

func TestTLSPeerClosed(t *testing.T) {
	// A TLS collector that closes sends close_notify: the next Write finds
	// it and dials again instead of writing into a closed connection.
	server := newKeyPair(t, "collector", x509.ExtKeyUsageServerAuth)
	col := newCollector(t, "tcp", withTLS(&tls.Config{Certificates: []tls.Certificate{server.cert}}))
	conn, err := netsink.NewConn(netsink.Config{Address: col.addr(), TLS: true, CAFile: server.certFile})
	require.NoError(t, err, "NewConn")
	defer conn.Close()
	_, err = conn.Write(batch(0, 10))
	require.NoError(t, err, "Write")
	col.wait("10 entries", func(conns [][]byte, _ []bool) bool { return len(lines(bytes.Join(conns, nil))) == 10 })
	col.closeConns()
	col.waitEOF(1)

	_, err = conn.Write(batch(10, 20))
	require.ErrorIs(t, err, netsink.ErrPeerClosed, "the close_notify is found before writing")
	_, err = conn.Write(batch(10, 20))
	require.NoError(t, err, "a new connection")
	col.wait("20 entries", func(conns [][]byte, _ []bool) bool { return len(lines(bytes.Join(conns, nil))) == 20 })
	assertSeq(t, 0, 20, numbers(t, lines(col.all())), "nothing lost")
}
